//! Tests of the derived-metrics processor.
