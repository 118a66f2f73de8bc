#!/usr/bin/env python3
"""Export one gauge reading to Sightline with the real OpenTelemetry Python SDK.

Service ``worker`` (instance ``worker-1``, so that successive runs feed one series as one
long-running process would) records ``queue.depth`` (attribute ``queue=emails``) with the
SDK's synchronous Gauge and exports it once over OTLP/HTTP (protobuf); alerting tests move it
across a rule's threshold.

RESULT.json::

    {"results": ["SUCCESS"], "sdk_diagnostics": [...]}

Usage::

    python_gauge.py --http-endpoint http://127.0.0.1:4318 --value 9 --out RESULT.json
"""

from __future__ import annotations

import argparse
import json
import logging

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource


class Diagnostics(logging.Handler):
    """Keeps every WARNING/ERROR the SDK itself logs (e.g. failed exports)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http-endpoint", required=True)
    parser.add_argument("--value", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    diagnostics = Diagnostics()
    logging.getLogger("opentelemetry").addHandler(diagnostics)

    reader = InMemoryMetricReader()
    provider = MeterProvider(
        resource=Resource.create({"service.name": "worker", "service.instance.id": "worker-1"}),
        metric_readers=[reader],
    )
    gauge = provider.get_meter("worker.queue").create_gauge(
        "queue.depth", description="Jobs waiting."
    )
    gauge.set(args.value, {"queue": "emails"})
    exporter = OTLPMetricExporter(endpoint=f"{args.http_endpoint}/v1/metrics")
    result = exporter.export(reader.get_metrics_data())
    exporter.shutdown()
    provider.shutdown()

    with open(args.out, "w", encoding="utf-8") as out:
        json.dump({"results": [result.name], "sdk_diagnostics": diagnostics.messages}, out)


if __name__ == "__main__":
    main()
