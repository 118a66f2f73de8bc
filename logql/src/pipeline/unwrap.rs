//! `| unwrap [bytes|duration|duration_seconds](label) [| label filters]`: the sample value of
//! a line in a metric query, read from the labels the pipeline produced.

use crate::ast::{Unwrap, UnwrapConversion};
use crate::labels::Labels;

use super::label_filter::LabelFilter;
use super::{ERROR_DETAILS_LABEL, ERROR_LABEL, PipelineError, SAMPLE_EXTRACTION_ERR, convert};

/// Extracts the sample value of `| unwrap` from a line's final labels (run the log range's
/// [`Pipeline`](super::Pipeline) first, then [`SampleExtractor::extract`] on its labels).
///
/// As in Loki: a line without the label (or with an empty value) yields no sample; a value that
/// does not convert yields `0` with `__error__="SampleExtractionErr"` and `__error_details__`
/// (which post-unwrap filters such as `| __error__=""` can drop); the unwrapped label is
/// removed from the sample's labels.
///
/// ```
/// use sightline_logql::{parse, Labels, SampleExtractor};
/// let query = parse(r#"sum_over_time({app="x"} | logfmt | unwrap duration(took) [1m])"#).unwrap();
/// let range = query.as_metric().unwrap().log_ranges()[0];
/// let extractor = SampleExtractor::new(range.unwrap.as_ref().unwrap()).unwrap();
/// let mut labels = Labels::from_pairs([("app", "x"), ("took", "1.5s")]);
/// assert_eq!(extractor.extract(&mut labels), Some(1.5));
/// assert_eq!(labels.to_string(), r#"{app="x"}"#);
/// ```
#[derive(Debug)]
pub struct SampleExtractor {
    label: String,
    conversion: Option<UnwrapConversion>,
    post_filters: Vec<LabelFilter>,
}

impl SampleExtractor {
    /// Compiles an unwrap and its post-unwrap filters.
    pub fn new(unwrap: &Unwrap) -> Result<Self, PipelineError> {
        Ok(SampleExtractor {
            label: unwrap.label.clone(),
            conversion: unwrap.conversion,
            post_filters: unwrap
                .post_filters
                .iter()
                .map(LabelFilter::new)
                .collect::<Result<_, _>>()?,
        })
    }

    /// The unwrapped label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The sample value of a line with these final labels, or `None` when the line yields no
    /// sample (label missing or empty, or a post-unwrap filter rejects it). `labels` becomes
    /// the sample's labels: the unwrapped label removed, the error labels added on a
    /// conversion failure.
    pub fn extract(&self, labels: &mut Labels) -> Option<f64> {
        let text = labels.get(&self.label).filter(|v| !v.is_empty())?;
        let value = match self.convert(text) {
            Ok(value) => value,
            Err(details) => {
                labels.set(ERROR_LABEL, SAMPLE_EXTRACTION_ERR);
                labels.set(ERROR_DETAILS_LABEL, details);
                0.0
            }
        };
        for filter in &self.post_filters {
            if !filter.process(labels) {
                return None;
            }
        }
        labels.remove(&self.label);
        Some(value)
    }

    fn convert(&self, text: &str) -> Result<f64, String> {
        match self.conversion {
            None => convert::parse_float(text),
            Some(UnwrapConversion::Bytes) => convert::parse_bytes(text).map(|b| b as f64),
            Some(UnwrapConversion::Duration | UnwrapConversion::DurationSeconds) => {
                // Go's Duration.Seconds().
                convert::parse_duration(text).map(|nanos| {
                    (nanos / 1_000_000_000) as f64 + (nanos % 1_000_000_000) as f64 / 1e9
                })
            }
        }
    }
}
