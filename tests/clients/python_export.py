#!/usr/bin/env python3
"""Export traces, logs and metrics to Sightline with the real OpenTelemetry Python SDK.

Sightline's end-to-end tests run this script as a subprocess against a running
``sightline serve`` and then read the data back through the query APIs.

It uses the SDK the way an application does, with default exporter settings
apart from endpoint / insecure / headers:

* traces over OTLP/gRPC from a TracerProvider for service ``py-grpc-service``;
* traces over OTLP/HTTP (protobuf) from a second TracerProvider for service
  ``py-http-service``;
* logs over OTLP/gRPC (service ``py-grpc-service``): stdlib ``logging`` records
  bridged by ``LoggingHandler`` inside an active span, plus records emitted
  directly through the logs API (map / list bodies, an event name);
* metrics over OTLP/gRPC (service ``py-metrics-service``): a Counter, an
  UpDownCounter, an explicit-bucket Histogram, an exponential-bucket Histogram
  and an ObservableGauge.

Each provider produces two traces: a main trace (SERVER root -> CLIENT child ->
INTERNAL grandchild, plus a PRODUCER child) and a CONSUMER span that continues
a W3C ``traceparent``/``tracestate`` (so it has a remote parent and a trace
state); the PRODUCER span links to it. Span durations are fixed (explicit start
and end timestamps) so tests can assert them: consumer 30ms, SERVER root 250ms,
CLIENT 160ms (ERROR "payment gateway timeout"), INTERNAL 100ms, PRODUCER 20ms.
The log records are emitted while the INTERNAL span of the gRPC trace is active.

Every OTLP exporter is subclassed to capture exactly what the SDK sent: before
delegating to the real ``export``, the batch is encoded with the SDK's own
encoder (the one the exporter itself uses). RESULT.json has the shape::

    {
      "traces":  [{"transport": "grpc" | "http/protobuf",
                   "request_hex": "<hex of ExportTraceServiceRequest>",
                   "result": "SUCCESS",
                   "trace_ids": ["<32 hex>", ...]}, ...],
      "logs":    [{"transport": "grpc", "request_hex": "<ExportLogsServiceRequest>", "result": ...}],
      "metrics": [{"transport": "grpc", "request_hex": "<ExportMetricsServiceRequest>", "result": ...}],
      "sdk_diagnostics": ["<WARNING/ERROR records the SDK logged>", ...]
    }

Metrics are exported twice (cumulative temporality, the default): once by
``force_flush`` and once more by the reader's final collection at shutdown.

Exits non-zero, with a message on stderr, when an export result is not SUCCESS
or a signal exported nothing. RESULT.json is written in every case.

Usage::

    python_export.py --grpc-endpoint http://127.0.0.1:4317 \\
        --http-endpoint http://127.0.0.1:4318 --out RESULT.json [--tenant T]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.metrics import Observation
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

SCOPE_NAME = "sightline.e2e.python"
SCOPE_VERSION = "1.2.3"
SCOPE_SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"
SCOPE_ATTRIBUTES = {"scope.kind": "e2e", "scope.build": 7, "scope.stable": True}
MS = 1_000_000  # nanoseconds per millisecond


# --------------------------------------------------------------------------------------------
# Capture: what each exporter sent, and what the SDK reported
# --------------------------------------------------------------------------------------------


class Capture:
    """Collects one entry per export call, per signal."""

    def __init__(self) -> None:
        self.entries: dict[str, list[dict[str, Any]]] = {"traces": [], "logs": [], "metrics": []}

    def record(self, signal: str, transport: str, request: bytes, result: Any, **extra: Any) -> None:
        entry = {"transport": transport, "request_hex": request.hex(), "result": result.name}
        entry.update(extra)
        self.entries[signal].append(entry)


class DiagnosticsHandler(logging.Handler):
    """Keeps every WARNING/ERROR the SDK and exporters log (e.g. failed exports)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def trace_ids_of(spans) -> list[str]:
    return sorted({format(span.context.trace_id, "032x") for span in spans})


class CapturingGrpcSpanExporter(GrpcSpanExporter):
    def __init__(self, capture: Capture, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._capture = capture

    def export(self, spans):
        request = encode_spans(spans).SerializeToString()
        result = super().export(spans)
        self._capture.record("traces", "grpc", request, result, trace_ids=trace_ids_of(spans))
        return result


class CapturingHttpSpanExporter(HttpSpanExporter):
    def __init__(self, capture: Capture, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._capture = capture

    def export(self, spans):
        request = encode_spans(spans).SerializeToString()
        result = super().export(spans)
        self._capture.record("traces", "http/protobuf", request, result, trace_ids=trace_ids_of(spans))
        return result


class CapturingGrpcLogExporter(GrpcLogExporter):
    def __init__(self, capture: Capture, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._capture = capture

    def export(self, batch):
        request = encode_logs(batch).SerializeToString()
        result = super().export(batch)
        self._capture.record("logs", "grpc", request, result)
        return result


class CapturingGrpcMetricExporter(GrpcMetricExporter):
    def __init__(self, capture: Capture, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._capture = capture

    def export(self, metrics_data, timeout_millis: float = 10_000, **kwargs: Any):
        request = encode_metrics(metrics_data).SerializeToString()
        result = super().export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        self._capture.record("metrics", "grpc", request, result)
        return result


# --------------------------------------------------------------------------------------------
# Telemetry content
# --------------------------------------------------------------------------------------------


def make_resource(service_name: str) -> Resource:
    """A resource with attributes of several types (string, int, bool, double, string array)."""
    return Resource.create(
        {
            "service.name": service_name,
            "service.namespace": "sightline-e2e",
            "service.version": "1.4.2",
            "deployment.environment.name": "e2e",
            "host.cpu.count": 2,
            "e2e.canary": True,
            "e2e.sample_ratio": 0.25,
            "e2e.regions": ["eu-west-1", "us-east-1"],
        }
    )


# Span attributes of every type the Python API accepts.
ALL_TYPES_ATTRIBUTES: dict[str, Any] = {
    "attr.string": "hello sightline",
    "attr.empty_string": "",
    "attr.unicode": "grüße ✓ 日本",
    "attr.bool_true": True,
    "attr.bool_false": False,
    "attr.int": 42,
    "attr.int_negative": -7,
    "attr.int_large": 2**62,
    "attr.double": 3.14159,
    "attr.double_negative": -0.5,
    "attr.string_array": ["alpha", "beta", "gamma"],
    "attr.bool_array": [True, False, True],
    "attr.int_array": [1, 2, 3, 2**40],
    "attr.double_array": [0.5, 1.5, -2.25],
    "attr.empty_array": [],
    # Accepted by this SDK version as AnyValue (bytes, maps and mixed arrays).
    "attr.bytes": b"\x00\x01\xfe\xff",
    "attr.map": {"region": "eu", "zone": 3, "nested": {"ok": True}},
    "attr.mixed_array": ["one", 2, 3.5, False],
}


def emit_trace(tracer: trace.Tracer, propagator: TraceContextTextMapPropagator, flavour: str, on_active_span=None):
    """Two traces; returns (main trace id, linked consumer trace id) as 32-hex strings.

    ``on_active_span`` is called while the INTERNAL grandchild span is current.
    """
    # Explicit timestamps give fixed durations. ``base`` is chosen so that the INTERNAL span
    # (base+80ms .. base+180ms) is running "now", when ``on_active_span`` emits its logs.
    base = time.time_ns() - 100 * MS

    # An incoming message carrying W3C trace context: the CONSUMER span has a remote parent
    # (never exported) and inherits its trace state.
    ids = RandomIdGenerator()
    upstream_trace_id, upstream_span_id = ids.generate_trace_id(), ids.generate_span_id()
    carrier = {
        "traceparent": f"00-{upstream_trace_id:032x}-{upstream_span_id:016x}-01",
        "tracestate": "sightline=e2e,vendor2=opaque-value",
    }
    consumer = tracer.start_span(
        f"{flavour} consume order.created",
        context=propagator.extract(carrier),
        kind=SpanKind.CONSUMER,
        start_time=base,
        attributes={"messaging.system": "kafka", "messaging.destination.name": "orders", "messaging.batch.message_count": 3},
    )
    consumer.end(end_time=base + 30 * MS)

    root = tracer.start_span(
        "GET /api/checkout",
        kind=SpanKind.SERVER,
        start_time=base + 50 * MS,
        attributes={
            "http.request.method": "GET",
            "http.route": "/api/checkout",
            "http.response.status_code": 200,
            "url.path": "/api/checkout",
            "e2e.flavour": flavour,
            **ALL_TYPES_ATTRIBUTES,
        },
    )
    with trace.use_span(root, end_on_exit=False):
        client = tracer.start_span(
            "POST payments",
            kind=SpanKind.CLIENT,
            start_time=base + 70 * MS,
            attributes={
                "http.request.method": "POST",
                "server.address": "payments.internal",
                "server.port": 8443,
                "http.response.status_code": 504,
            },
        )
        with trace.use_span(client, end_on_exit=False):
            client.add_event(
                "retry",
                attributes={"retry.attempt": 2, "retry.backoff_ms": 12.5, "retry.reason": "timeout", "retry.final": True},
                timestamp=base + 100 * MS,
            )
            client.record_exception(
                TimeoutError("payment gateway timed out after 150ms"),
                attributes={"e2e.recorded_by": "python"},
                timestamp=base + 215 * MS,
            )
            client.set_status(Status(StatusCode.ERROR, "payment gateway timeout"))

            internal = tracer.start_span(
                "compute tax",
                kind=SpanKind.INTERNAL,
                start_time=base + 80 * MS,
                attributes={"tax.country": "DE", "tax.rate": 0.19, "tax.items": [3, 1, 4]},
            )
            with trace.use_span(internal, end_on_exit=False):
                internal.add_event(
                    "cache miss", attributes={"cache.key": "tax:DE", "cache.ttl_s": 300}, timestamp=base + 90 * MS
                )
                if on_active_span is not None:
                    on_active_span()
            internal.end(end_time=base + 180 * MS)
        client.end(end_time=base + 230 * MS)

        producer = tracer.start_span(
            "publish order.created",
            kind=SpanKind.PRODUCER,
            start_time=base + 240 * MS,
            links=[
                Link(
                    consumer.get_span_context(),
                    attributes={"link.reason": "previous order batch", "link.batch": 17, "link.sampled": True},
                )
            ],
            attributes={"messaging.system": "kafka", "messaging.destination.name": "orders"},
        )
        producer.end(end_time=base + 260 * MS)
    root.set_status(Status(StatusCode.OK))
    root.end(end_time=base + 300 * MS)

    return format(root.get_span_context().trace_id, "032x"), format(consumer.get_span_context().trace_id, "032x")


def emit_logs(app_logger: logging.Logger, event_logger) -> None:
    """Called inside the active INTERNAL span: the records carry its trace_id / span_id."""
    app_logger.info(
        "order %s accepted", "o-1001",
        extra={"order.id": "o-1001", "order.items": 3, "order.total": 99.95, "order.express": True, "order.tags": ["gift", "priority"]},
    )
    app_logger.warning("inventory low for sku %s", "sku-7", extra={"inventory.sku": "sku-7", "inventory.remaining": 2})
    try:
        raise ValueError("card declined: insufficient funds")
    except ValueError:
        app_logger.exception("payment failed for order %s", "o-1001", extra={"payment.provider": "acme", "payment.amount": 99.95})

    # Directly through the logs API: a structured (map) body with an event name.
    event_logger.emit(
        severity_number=SeverityNumber.INFO,
        severity_text="INFO",
        body={"order_id": "o-1001", "amount": 99.95, "items": ["book", "pen"], "paid": False, "meta": {"attempt": 2}},
        attributes={"event.domain": "checkout", "e2e.structured": True},
        event_name="checkout.order_placed",
    )
    # A list body at DEBUG with an explicit timestamp and no event name. (The record above has
    # no timestamp: the SDK sends only observed_time_unix_nano for it.)
    event_logger.emit(
        timestamp=time.time_ns(),
        severity_number=SeverityNumber.DEBUG,
        severity_text="DEBUG",
        body=["step", 3, True, 0.5],
        attributes={"e2e.structured": True},
    )


def emit_metrics(meter) -> None:
    common = {"http.route": "/api/checkout", "e2e.canary": True}
    requests = meter.create_counter("e2e.requests", unit="{request}", description="Requests handled")
    requests.add(3, {**common, "http.response.status_code": 200})
    requests.add(1, {**common, "http.response.status_code": 504, "error.type": "timeout"})

    queue = meter.create_up_down_counter("e2e.queue.depth", unit="{message}", description="Messages waiting")
    queue.add(5, {"queue.name": "orders", "queue.partition": 0})
    queue.add(-2, {"queue.name": "orders", "queue.partition": 0})

    duration = meter.create_histogram(
        "e2e.request.duration",
        unit="ms",
        description="Request duration",
        explicit_bucket_boundaries_advisory=[5.0, 10.0, 25.0, 50.0, 100.0, 250.0],
    )
    for value in (3.0, 7.5, 12.0, 48.0, 120.0, 300.0):
        duration.record(value, {**common, "e2e.sample_ratio": 0.25})

    payload = meter.create_histogram("e2e.payload.size", unit="By", description="Payload size (exponential buckets)")
    for value in (0, 1, 2, 3, 100, 1024, 1500, 65536):
        payload.record(value, {"payload.kind": "json", "payload.compressed": False})

    def observe_temperature(_options):
        yield Observation(61.5, {"cpu.id": 0, "host.name": "e2e-host"})
        yield Observation(58.25, {"cpu.id": 1, "host.name": "e2e-host"})

    meter.create_observable_gauge(
        "e2e.cpu.temperature", callbacks=[observe_temperature], unit="Cel", description="CPU temperature"
    )


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grpc-endpoint", required=True, help="OTLP/gRPC endpoint, e.g. http://127.0.0.1:4317")
    parser.add_argument("--http-endpoint", required=True, help="OTLP/HTTP base URL, e.g. http://127.0.0.1:4318")
    parser.add_argument("--out", required=True, help="where to write RESULT.json")
    parser.add_argument("--tenant", help="send X-Scope-OrgID: TENANT on every export")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    diagnostics = DiagnosticsHandler()
    logging.getLogger("opentelemetry").addHandler(diagnostics)
    logging.getLogger("grpc").addHandler(diagnostics)

    # gRPC metadata keys must be lowercase; HTTP header names are case-insensitive.
    grpc_headers = {"x-scope-orgid": args.tenant} if args.tenant else None
    http_headers = {"X-Scope-OrgID": args.tenant} if args.tenant else None
    grpc_endpoint = args.grpc_endpoint
    http_traces_endpoint = args.http_endpoint.rstrip("/") + "/v1/traces"

    capture = Capture()
    propagator = TraceContextTextMapPropagator()

    # --- providers -------------------------------------------------------------------------
    grpc_resource = make_resource("py-grpc-service")
    grpc_tracer_provider = TracerProvider(resource=grpc_resource)
    grpc_tracer_provider.add_span_processor(
        BatchSpanProcessor(CapturingGrpcSpanExporter(capture, endpoint=grpc_endpoint, insecure=True, headers=grpc_headers))
    )
    http_tracer_provider = TracerProvider(resource=make_resource("py-http-service"))
    http_tracer_provider.add_span_processor(
        BatchSpanProcessor(CapturingHttpSpanExporter(capture, endpoint=http_traces_endpoint, headers=http_headers))
    )

    logger_provider = LoggerProvider(resource=grpc_resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(CapturingGrpcLogExporter(capture, endpoint=grpc_endpoint, insecure=True, headers=grpc_headers))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the SDK's LoggingHandler is deprecated but supported
        logging_handler = LoggingHandler(level=logging.DEBUG, logger_provider=logger_provider)
    app_logger = logging.getLogger("sightline.e2e.app")
    app_logger.setLevel(logging.DEBUG)
    app_logger.propagate = False
    app_logger.addHandler(logging_handler)
    event_logger = logger_provider.get_logger(SCOPE_NAME + ".events", SCOPE_VERSION, SCOPE_SCHEMA_URL, SCOPE_ATTRIBUTES)

    metric_reader = PeriodicExportingMetricReader(
        CapturingGrpcMetricExporter(capture, endpoint=grpc_endpoint, insecure=True, headers=grpc_headers)
    )
    meter_provider = MeterProvider(
        resource=make_resource("py-metrics-service"),
        metric_readers=[metric_reader],
        views=[View(instrument_name="e2e.payload.size", aggregation=ExponentialBucketHistogramAggregation())],
    )

    # --- telemetry ---------------------------------------------------------------------------
    grpc_tracer = grpc_tracer_provider.get_tracer(SCOPE_NAME, SCOPE_VERSION, SCOPE_SCHEMA_URL, SCOPE_ATTRIBUTES)
    http_tracer = http_tracer_provider.get_tracer(SCOPE_NAME, SCOPE_VERSION, SCOPE_SCHEMA_URL, SCOPE_ATTRIBUTES)
    emit_trace(grpc_tracer, propagator, "grpc", on_active_span=lambda: emit_logs(app_logger, event_logger))
    emit_trace(http_tracer, propagator, "http")
    emit_metrics(meter_provider.get_meter(SCOPE_NAME + ".metrics", SCOPE_VERSION, SCOPE_SCHEMA_URL, SCOPE_ATTRIBUTES))

    # --- flush and shut down -----------------------------------------------------------------
    flushed = {
        "traces/grpc": grpc_tracer_provider.force_flush(),
        "traces/http": http_tracer_provider.force_flush(),
        "logs": logger_provider.force_flush(),
        "metrics": meter_provider.force_flush(),
    }
    app_logger.removeHandler(logging_handler)
    grpc_tracer_provider.shutdown()
    http_tracer_provider.shutdown()
    logger_provider.shutdown()
    meter_provider.shutdown()

    # --- report --------------------------------------------------------------------------------
    result = dict(capture.entries)
    result["sdk_diagnostics"] = diagnostics.messages
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(result, out, indent=1)
        out.write("\n")

    problems = [f"force_flush of {name} returned False" for name, ok in flushed.items() if not ok]
    for signal in ("traces", "logs", "metrics"):
        if not capture.entries[signal]:
            problems.append(f"no {signal} were exported")
        for entry in capture.entries[signal]:
            if entry["result"] != "SUCCESS":
                problems.append(f"{signal} export over {entry['transport']} returned {entry['result']}")
    transports = {entry["transport"] for entry in capture.entries["traces"]}
    for transport in ("grpc", "http/protobuf"):
        if transport not in transports:
            problems.append(f"no traces were exported over {transport}")
    for message in diagnostics.messages:
        print(f"python_export.py: SDK said: {message}", file=sys.stderr)
    if problems:
        for problem in problems:
            print(f"python_export.py: FAILED: {problem}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{len(capture.entries[s])} {s} request(s)" for s in ("traces", "logs", "metrics"))
    print(f"python_export.py: ok: {counts}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
