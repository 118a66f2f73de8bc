/**
 * Export one trace to Sightline with the real OpenTelemetry JS SDK over OTLP/HTTP JSON.
 *
 * Sightline's end-to-end tests run this script as a subprocess against a running
 * `sightline serve` and then read the trace back through the query API.
 *
 * It uses the SDK the way an application does: a BasicTracerProvider (service
 * `node-json-service`) with a BatchSpanProcessor and the stock `OTLPTraceExporter` from
 * `@opentelemetry/exporter-trace-otlp-http`, which POSTs OTLP/JSON with
 * `Content-Type: application/json`. The trace has four spans with fixed durations:
 *
 *   GET /api/cart         SERVER    200ms  status OK, attributes of every JS type
 *   ├─ POST inventory     CLIENT    120ms  status ERROR "inventory service unavailable",
 *   │  │                                   an event with attributes and a recorded exception
 *   │  └─ validate cart   INTERNAL   40ms  an event
 *   └─ publish cart.updated PRODUCER 20ms  a link (with attributes) to the CLIENT span
 *
 * The exporter is subclassed to capture exactly what it sent: the same ReadableSpans are
 * serialized with `JsonTraceSerializer` from `@opentelemetry/otlp-transformer`, the
 * serializer the exporter itself uses for its request body. --out gets:
 *
 *   {"traces": [{"transport": "http/json", "request_json": "<the JSON request body>",
 *                "result": "SUCCESS" | "FAILED", "error": "<only when FAILED>",
 *                "trace_ids": ["<32 hex>"]}],
 *    "sdk_diagnostics": ["<warnings/errors the SDK logged through its diag logger>"]}
 *
 * Exits non-zero (message on stderr) when an export failed or nothing was exported; --out is
 * written in every case.
 *
 * Usage: node node_export.mjs --endpoint http://127.0.0.1:4318/v1/traces --out RESULT.json
 */

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { context, diag, DiagLogLevel, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    out: { type: 'string' },
  },
});
if (!args.endpoint || !args.out) {
  console.error('usage: node node_export.mjs --endpoint http://127.0.0.1:4318/v1/traces --out RESULT.json');
  process.exit(2);
}

// Everything the SDK reports at WARN or above (failed exports, unparsable responses, ...).
const diagnostics = [];
diag.setLogger(
  {
    error: (...parts) => diagnostics.push(`ERROR ${parts.map(String).join(' ')}`),
    warn: (...parts) => diagnostics.push(`WARN ${parts.map(String).join(' ')}`),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  },
  DiagLogLevel.WARN,
);

/** The stock exporter, recording the exact request body and the export result. */
class CapturingTraceExporter extends OTLPTraceExporter {
  constructor(config) {
    super(config);
    this.captured = [];
  }

  export(spans, resultCallback) {
    const body = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));
    const traceIds = [...new Set(spans.map((span) => span.spanContext().traceId))].sort();
    super.export(spans, (result) => {
      const entry = {
        transport: 'http/json',
        request_json: body,
        result: result.code === ExportResultCode.SUCCESS ? 'SUCCESS' : 'FAILED',
        trace_ids: traceIds,
      };
      if (result.error) entry.error = String(result.error?.message ?? result.error);
      this.captured.push(entry);
      resultCallback(result);
    });
  }
}

const exporter = new CapturingTraceExporter({ url: args.endpoint });
const provider = new BasicTracerProvider({
  resource: defaultResource().merge(
    resourceFromAttributes({
      'service.name': 'node-json-service',
      'service.namespace': 'sightline-e2e',
      'service.version': '3.1.4',
      'deployment.environment.name': 'e2e',
      'host.cpu.count': 2,
      'e2e.canary': true,
      'e2e.sample_ratio': 0.5,
      'e2e.regions': ['eu-west-1', 'ap-south-1'],
    }),
  ),
  spanProcessors: [new BatchSpanProcessor(exporter)],
});
const tracer = provider.getTracer('sightline.e2e.node', '2.0.1', {
  schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
});

// Explicit timestamps (epoch milliseconds) give every span a fixed duration.
const base = Date.now() - 300;
const under = (span) => trace.setSpan(context.active(), span);

const root = tracer.startSpan(
  'GET /api/cart',
  {
    kind: SpanKind.SERVER,
    startTime: base,
    attributes: {
      'http.request.method': 'GET',
      'http.route': '/api/cart',
      'http.response.status_code': 200,
      'attr.string': 'hello from node',
      'attr.empty_string': '',
      'attr.unicode': 'grüße ✓ 日本',
      'attr.int': 42,
      'attr.int_negative': -7,
      'attr.int_max_safe': Number.MAX_SAFE_INTEGER,
      'attr.double': 3.25,
      'attr.double_negative': -0.125,
      'attr.bool_true': true,
      'attr.bool_false': false,
      'attr.string_array': ['alpha', 'beta', 'gamma'],
      'attr.int_array': [1, 2, 3],
      'attr.double_array': [0.5, 1.5, -2.25],
      'attr.bool_array': [true, false],
    },
  },
  context.active(),
);

const client = tracer.startSpan(
  'POST inventory',
  {
    kind: SpanKind.CLIENT,
    startTime: base + 20,
    attributes: { 'http.request.method': 'POST', 'server.address': 'inventory.internal', 'server.port': 9090 },
  },
  under(root),
);
client.addEvent('retry', { 'retry.attempt': 2, 'retry.backoff_ms': 12.5, 'retry.reason': 'unavailable', 'retry.final': true }, base + 60);
client.recordException(new Error('inventory service unavailable (503)'), base + 130);
client.setStatus({ code: SpanStatusCode.ERROR, message: 'inventory service unavailable' });
client.setAttribute('http.response.status_code', 503);

const internal = tracer.startSpan(
  'validate cart',
  { kind: SpanKind.INTERNAL, startTime: base + 30, attributes: { 'cart.items': 4, 'cart.total': 129.99, 'cart.skus': ['a-1', 'b-2'] } },
  under(client),
);
internal.addEvent('cart validated', { 'cart.valid': true, 'cart.warnings': 0 }, base + 65);
internal.end(base + 70);
client.end(base + 140);

const producer = tracer.startSpan(
  'publish cart.updated',
  {
    kind: SpanKind.PRODUCER,
    startTime: base + 160,
    attributes: { 'messaging.system': 'rabbitmq', 'messaging.destination.name': 'cart-events' },
    links: [{ context: client.spanContext(), attributes: { 'link.reason': 'caused by failed reservation', 'link.count': 1 } }],
  },
  under(root),
);
producer.end(base + 180);

root.setStatus({ code: SpanStatusCode.OK });
root.end(base + 200);

const problems = [];
try {
  await provider.forceFlush();
} catch (error) {
  problems.push(`forceFlush failed: ${error?.message ?? error}`);
}
try {
  await provider.shutdown();
} catch (error) {
  problems.push(`shutdown failed: ${error?.message ?? error}`);
}

const result = { traces: exporter.captured, sdk_diagnostics: diagnostics };
writeFileSync(args.out, JSON.stringify(result, null, 1) + '\n');

if (exporter.captured.length === 0) problems.push('no traces were exported');
for (const entry of exporter.captured) {
  if (entry.result !== 'SUCCESS') problems.push(`traces export over http/json returned ${entry.result}: ${entry.error ?? ''}`);
}
for (const message of diagnostics) console.error(`node_export.mjs: SDK said: ${message}`);
if (problems.length > 0) {
  for (const problem of problems) console.error(`node_export.mjs: FAILED: ${problem}`);
  process.exitCode = 1;
} else {
  console.log(`node_export.mjs: ok: ${exporter.captured.length} traces request(s); wrote ${args.out}`);
}
