#!/usr/bin/env python3
"""Export a known service topology to Sightline with the real OpenTelemetry Python SDK.

Four instrumented services, one TracerProvider each (as four processes would have), all
exporting over OTLP/gRPC, propagate context to each other the way instrumentation does:

    user -> web  (SERVER "GET /checkout", a root span: its caller is the virtual node "user")
    web  -> orders (web CLIENT "POST /orders" -> orders SERVER "POST /orders")
    orders -> shop (orders CLIENT "INSERT orders" with db.system=postgresql, db.namespace=shop:
                    an uninstrumented database)
    orders -> mailer (orders PRODUCER "publish order" -> mailer CONSUMER "process order")

``--requests N`` checkouts are made; every ``--fail-every``-th one fails in orders (its SERVER
span and web's CLIENT span get status ERROR). Span durations are fixed: web SERVER 100 ms, web
CLIENT 80 ms, orders SERVER 70 ms, INSERT 20 ms, publish 5 ms, process 10 ms (starting 2 ms
after publish ends).

RESULT.json::

    {"trace_ids": ["<32 hex>", ...], "failed_trace_ids": [...], "results": ["SUCCESS", ...],
     "sdk_diagnostics": [...]}

Usage::

    python_topology.py --grpc-endpoint http://127.0.0.1:4317 --out RESULT.json \\
        [--requests 10] [--fail-every 4]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

MS = 1_000_000


class Diagnostics(logging.Handler):
    """Keeps every WARNING/ERROR the SDK logs (e.g. failed exports)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname} {record.name}: {record.getMessage()}")


class RecordingExporter(OTLPSpanExporter):
    """The real gRPC exporter, remembering each export's result."""

    def __init__(self, results: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self._results = results

    def export(self, spans):
        result = super().export(spans)
        self._results.append(result.name)
        return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grpc-endpoint", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--fail-every", type=int, default=4)
    args = parser.parse_args()

    diagnostics = Diagnostics()
    logging.getLogger().addHandler(diagnostics)
    warnings.simplefilter("ignore")

    results: list[str] = []
    providers = {}
    for service in ("web", "orders", "mailer"):
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        exporter = RecordingExporter(results, endpoint=args.grpc_endpoint, insecure=True)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        providers[service] = provider
    web = providers["web"].get_tracer("shop.web")
    orders = providers["orders"].get_tracer("shop.orders")
    mailer = providers["mailer"].get_tracer("shop.mailer")

    trace_ids: list[str] = []
    failed: list[str] = []
    base = time.time_ns() - args.requests * 200 * MS
    for index in range(args.requests):
        t0 = base + index * 200 * MS
        fails = args.fail_every > 0 and (index + 1) % args.fail_every == 0
        root = web.start_span("GET /checkout", kind=SpanKind.SERVER, start_time=t0,
                              attributes={"http.request.method": "GET", "http.route": "/checkout"})
        root_ctx = trace.set_span_in_context(root)
        call = web.start_span("POST /orders", context=root_ctx, kind=SpanKind.CLIENT,
                              start_time=t0 + 10 * MS,
                              attributes={"http.request.method": "POST", "server.address": "orders"})
        call_ctx = trace.set_span_in_context(call)
        handle = orders.start_span("POST /orders", context=call_ctx, kind=SpanKind.SERVER,
                                   start_time=t0 + 15 * MS,
                                   attributes={"http.request.method": "POST", "http.route": "/orders"})
        handle_ctx = trace.set_span_in_context(handle)
        insert = orders.start_span("INSERT orders", context=handle_ctx, kind=SpanKind.CLIENT,
                                   start_time=t0 + 20 * MS,
                                   attributes={"db.system": "postgresql", "db.namespace": "shop",
                                               "db.operation.name": "INSERT"})
        insert.end(end_time=t0 + 40 * MS)
        publish = orders.start_span("publish order", context=handle_ctx, kind=SpanKind.PRODUCER,
                                    start_time=t0 + 45 * MS,
                                    attributes={"messaging.system": "kafka",
                                                "messaging.destination.name": "orders"})
        publish.end(end_time=t0 + 50 * MS)
        consume = mailer.start_span("process order", context=trace.set_span_in_context(publish),
                                    kind=SpanKind.CONSUMER, start_time=t0 + 52 * MS,
                                    attributes={"messaging.system": "kafka"})
        consume.end(end_time=t0 + 62 * MS)
        if fails:
            handle.set_status(Status(StatusCode.ERROR, "out of stock"))
            call.set_status(Status(StatusCode.ERROR, "502 from orders"))
        handle.end(end_time=t0 + 85 * MS)
        call.end(end_time=t0 + 90 * MS)
        root.end(end_time=t0 + 100 * MS)
        trace_id = format(root.get_span_context().trace_id, "032x")
        trace_ids.append(trace_id)
        if fails:
            failed.append(trace_id)

    for provider in providers.values():
        provider.force_flush()
        provider.shutdown()

    with open(args.out, "w") as out:
        json.dump({"trace_ids": trace_ids, "failed_trace_ids": failed, "results": results,
                   "sdk_diagnostics": diagnostics.messages}, out, indent=2)
    if not results or any(r != "SUCCESS" for r in results):
        print(f"exports failed: {results}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
