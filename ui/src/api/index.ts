// Typed calls to Sightline's public APIs (Tempo search, Prometheus rules).
import type { Bounds } from "../timeRange";

/** One trace of a Tempo search result. */
export interface TraceSummary {
  traceID: string;
  rootServiceName?: string;
  rootTraceName?: string;
  startTimeUnixNano: string;
  durationMs?: number;
  /** Spans (and spans with an error status) per service. */
  serviceStats?: Record<string, { spanCount: number; errorCount?: number }>;
}

/** One alerting rule of `/api/v1/rules`. */
export interface Rule {
  name: string;
  query: string;
  state: "inactive" | "pending" | "firing";
  health: string;
  lastError?: string;
  lastEvaluation: string;
  alerts?: { labels: Record<string, string>; state: string; activeAt: string; value: string }[];
}

/** One group of `/api/v1/rules`. */
export interface RuleGroup {
  name: string;
  file: string;
  interval: number;
  rules: Rule[];
}

/** GETs `url` as JSON; a failed request throws with its status and body (or `notFound` on 404). */
export async function json<T>(url: string, notFound?: string): Promise<T> {
  const response = await fetch(url);
  if (response.status === 404 && notFound) throw new Error(notFound);
  if (!response.ok) {
    const text = await response.text();
    throw new Error(`${response.status} ${response.statusText}: ${text.trim()}`);
  }
  return (await response.json()) as T;
}

/** Tempo's `/api/search` with a TraceQL query within `bounds`. */
export async function searchTraces(
  q: string,
  bounds: Bounds,
  limit = 50,
): Promise<TraceSummary[]> {
  const params = new URLSearchParams({
    q,
    start: String(bounds.start),
    end: String(bounds.end),
    limit: String(limit),
  });
  const body = await json<{ traces?: TraceSummary[] }>(`/api/search?${params}`);
  // Tempo drops leading zeros of trace ids; people (and links from logs) use all 32 digits.
  return (body.traces ?? []).map((t) => ({ ...t, traceID: t.traceID.padStart(32, "0") }));
}

/** Prometheus' `/api/v1/rules`. */
export async function listRules(): Promise<RuleGroup[]> {
  const body = await json<{ data: { groups: RuleGroup[] } }>("/api/v1/rules");
  return body.data.groups;
}

/** One series of a Prometheus range query: labels and `[unix seconds, "value"]` points. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

interface PromEnvelope<T> {
  status: "success" | "error";
  data?: T;
  error?: string;
}

/** GETs a Prometheus API `url`: its `data`, or its `error` thrown. */
export async function prom<T>(url: string): Promise<T> {
  const response = await fetch(url);
  const body = (await response.json().catch(() => null)) as PromEnvelope<T> | null;
  if (!response.ok || body?.status !== "success" || body.data === undefined) {
    throw new Error(body?.error ?? `${response.status} ${response.statusText}`);
  }
  return body.data;
}

/** A range query's result and the range it covers (unix seconds). */
export interface RangeResult {
  start: number;
  end: number;
  series: MatrixSeries[];
}

/** Prometheus' `/api/v1/query_range` within `bounds`, about 200 steps. */
export async function queryRange(query: string, bounds: Bounds): Promise<RangeResult> {
  const { start, end } = bounds;
  const step = Math.max(15, Math.ceil((end - start) / 200));
  const params = new URLSearchParams({
    query,
    start: String(start),
    end: String(end),
    step: String(step),
  });
  const data = await prom<{ resultType: string; result: MatrixSeries[] }>(
    `/api/v1/query_range?${params}`,
  );
  return { start, end, series: data.result };
}

/** Every metric name (`/api/v1/label/__name__/values`). */
export async function metricNames(): Promise<string[]> {
  return prom<string[]>("/api/v1/label/__name__/values");
}

/** One line of the native log search. */
export interface LogLine {
  time: string;
  timestamp: string;
  line: string;
  service: string;
  level: string;
  traceId?: string | null;
  spanId?: string | null;
  labels: Record<string, string>;
  metadata: Record<string, string>;
}

/** One interval of the log volume histogram. */
export interface LogBucket {
  time: string;
  count: number;
  levels: Record<string, number>;
}

function logRange(bounds: Bounds): Record<string, string> {
  return { start: String(bounds.start), end: String(bounds.end) };
}

/** `/api/ui/logs/search`: lines matching `q` (Tantivy syntax), newest first. */
export async function searchLogs(q: string, bounds: Bounds, limit = 200): Promise<LogLine[]> {
  const params = new URLSearchParams({ q, limit: String(limit), ...logRange(bounds) });
  const body = await json<{ lines: LogLine[] }>(`/api/ui/logs/search?${params}`);
  return body.lines;
}

/** `/api/ui/logs/histogram`: matching lines per interval, by level. */
export async function logVolume(q: string, bounds: Bounds): Promise<LogBucket[]> {
  const params = new URLSearchParams({ q, buckets: "60", ...logRange(bounds) });
  const body = await json<{ buckets: LogBucket[] }>(`/api/ui/logs/histogram?${params}`);
  return body.buckets;
}

/** One row of a trace's waterfall window. */
export interface WaterfallSpan {
  spanID: string;
  parentSpanID?: string | null;
  name: string;
  serviceName: string;
  kind: string;
  status: "unset" | "ok" | "error";
  startTimeUnixNano: string;
  durationNanos: string;
  depth: number;
  childCount: number;
  expanded: boolean;
  /** On the trace's critical path. */
  critical?: boolean;
  /** The span's own time on the critical path: [start, end] ns from the trace start. */
  criticalSegments?: [number, number][];
}

/** One bar of the minimap: `rows` rows from `row`, their time span from the trace start. */
export interface OverviewBar {
  row: number;
  rows: number;
  startNanos: number;
  endNanos: number;
  error: boolean;
  critical: boolean;
}

/** A window of a trace's waterfall (`/api/ui/traces/{id}/waterfall`). */
export interface Waterfall {
  traceID: string;
  spanCount: number;
  visibleCount: number;
  offset: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  criticalSpanCount?: number;
  spans: WaterfallSpan[];
  overview?: OverviewBar[];
  /** Visible rows matching `search`, and how many matches are folded away. */
  search?: { rows: number[]; total: number; hidden: number };
  /** Where `locate` is: its row, or null with the ancestors to unfold. */
  located?: { row: number | null; ancestors: string[] };
}

/** What to read of a waterfall. */
export interface WaterfallRequest {
  offset: number;
  limit: number;
  collapsed: string[];
  overview?: number;
  search?: string;
  locate?: string;
}

/** No span of the trace is stored (its logs may still be). */
export class TraceNotFound extends Error {}

/** A window of a trace's waterfall with `collapsed` span ids folded (and extras on request). */
export async function waterfall(traceId: string, request: WaterfallRequest): Promise<Waterfall> {
  const response = await fetch(`/api/ui/traces/${traceId}/waterfall`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(request),
  });
  if (response.status === 404 && !request.locate) {
    throw new TraceNotFound(`No span of trace ${traceId} is stored.`);
  }
  if (!response.ok) throw new Error(`${response.status}: ${(await response.text()).trim()}`);
  return (await response.json()) as Waterfall;
}

/** Latency percentiles in seconds (null without observations). */
export interface Latency {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** A node of the service map. */
export interface MapNode {
  id: string;
  name: string;
  kind: "service" | "database" | "queue" | "virtual";
  requests: number;
  requestRate: number;
  errors: number;
  errorRate: number;
  latencySeconds: Latency;
}

/** An edge of the service map (caller -> callee). */
export interface MapEdge {
  source: string;
  target: string;
  connectionType: string;
  requests: number;
  requestRate: number;
  failed: number;
  errorRate: number;
  latencySeconds: Latency;
}

/** `/api/ui/service-map` within `bounds`. */
export async function serviceMap(bounds: Bounds): Promise<{ nodes: MapNode[]; edges: MapEdge[] }> {
  const params = new URLSearchParams({ start: String(bounds.start), end: String(bounds.end) });
  return json(`/api/ui/service-map?${params}`);
}
