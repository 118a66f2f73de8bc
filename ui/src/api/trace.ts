// Typed calls for the trace view beyond the waterfall: one span's details and a trace's logs.
import { type LogLine, json } from "./index";

/** An attribute as display text with its OTLP type. */
export interface Attribute {
  key: string;
  value: string;
  type: string;
}

/** `/api/ui/traces/{id}/spans/{spanId}`. */
export interface SpanDetails {
  traceID: string;
  spanID: string;
  parentSpanID?: string | null;
  name: string;
  kind: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationNanos: string;
  traceState: string;
  status: { code: "unset" | "ok" | "error"; message: string };
  resource: { attributes: Attribute[]; schemaUrl: string };
  scope: { name: string; version: string; attributes: Attribute[] };
  attributes: Attribute[];
  droppedAttributesCount: number;
  events: { timeUnixNano: string; offsetNanos: string; name: string; attributes: Attribute[] }[];
  droppedEventsCount: number;
  links: { traceID: string; spanID: string; traceState: string; attributes: Attribute[] }[];
  droppedLinksCount: number;
}

/** Everything about one span: resource, scope, attributes, events, links and status. */
export function spanDetails(traceId: string, spanId: string): Promise<SpanDetails> {
  return json(
    `/api/ui/traces/${traceId}/spans/${spanId}`,
    `Span ${spanId} is not part of trace ${traceId}.`,
  );
}

/** The log lines of a trace (or of one of its spans), oldest first. */
export async function traceLogs(traceId: string, spanId?: string, limit = 500): Promise<LogLine[]> {
  const params = new URLSearchParams({ limit: String(limit) });
  if (spanId) params.set("spanId", spanId);
  const body = await json<{ lines: LogLine[] }>(
    `/api/ui/traces/${traceId}/logs?${params}`,
    `Trace ${traceId} was not found.`,
  );
  return body.lines;
}
