#!/usr/bin/env python3
"""Export application logs to Sightline with the real OpenTelemetry Python SDK.

One service, ``payments`` (resource: ``deployment.environment=e2e``,
``k8s.namespace.name=billing``), logs through the stdlib ``logging`` bridge over OTLP/HTTP
(protobuf), inside spans so that every record carries its trace and span ids:

    for i in 0..N: span "charge" (a new trace) with
        INFO  "charge accepted order=o-<i> amount=<10+i>"        (payment.method=card)
        ERROR "charge declined order=o-<i> reason=insufficient_funds"  on every 3rd order
    and, outside any span, one WARNING "settlement batch delayed" (no trace id).

With ``--export-spans`` the "charge" spans are exported too (OTLP/HTTP), so the logs' trace ids
lead to stored traces; without it only the logs are sent, as when spans are sampled out.

RESULT.json::

    {"trace_ids": ["<32 hex>", ...],            # one per order, in order
     "span_ids": ["<16 hex>", ...],
     "declined_trace_ids": ["<32 hex>", ...],
     "results": ["SUCCESS", ...], "sdk_diagnostics": [...]}

Usage::

    python_logs.py --http-endpoint http://127.0.0.1:4318 --out RESULT.json [--orders 6] [--export-spans]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor


class Diagnostics(logging.Handler):
    """Keeps every WARNING/ERROR the SDK itself logs (e.g. failed exports)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname} {record.name}: {record.getMessage()}")


class RecordingExporter(OTLPLogExporter):
    """The real OTLP/HTTP exporter, remembering each export's result."""

    def __init__(self, results: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self._results = results

    def export(self, batch):
        result = super().export(batch)
        self._results.append(result.name)
        return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http-endpoint", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--orders", type=int, default=6)
    parser.add_argument("--export-spans", action="store_true")
    args = parser.parse_args()

    diagnostics = Diagnostics()
    logging.getLogger("opentelemetry").addHandler(diagnostics)

    resource = Resource.create(
        {"service.name": "payments", "deployment.environment": "e2e", "k8s.namespace.name": "billing"}
    )
    results: list[str] = []
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        SimpleLogRecordProcessor(RecordingExporter(results, endpoint=f"{args.http_endpoint}/v1/logs"))
    )
    app_logger = logging.getLogger("payments.app")
    app_logger.propagate = False
    app_logger.setLevel(logging.INFO)
    app_logger.addHandler(LoggingHandler(level=logging.INFO, logger_provider=logger_provider))
    tracer_provider = TracerProvider(resource=resource)
    if args.export_spans:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        tracer_provider.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{args.http_endpoint}/v1/traces"))
        )
    tracer = tracer_provider.get_tracer("payments")

    trace_ids, span_ids, declined = [], [], []
    for i in range(args.orders):
        with tracer.start_as_current_span("charge") as span:
            context = span.get_span_context()
            trace_ids.append(format(context.trace_id, "032x"))
            span_ids.append(format(context.span_id, "016x"))
            app_logger.info(
                "charge accepted order=o-%d amount=%d", i, 10 + i, extra={"payment.method": "card"}
            )
            if i % 3 == 2:
                declined.append(trace_ids[-1])
                app_logger.error("charge declined order=o-%d reason=insufficient_funds", i)
    app_logger.warning("settlement batch delayed")
    logger_provider.force_flush()
    logger_provider.shutdown()
    tracer_provider.shutdown()

    with open(args.out, "w") as out:
        json.dump(
            {
                "trace_ids": trace_ids,
                "span_ids": span_ids,
                "declined_trace_ids": declined,
                "results": results,
                "sdk_diagnostics": diagnostics.messages,
            },
            out,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
