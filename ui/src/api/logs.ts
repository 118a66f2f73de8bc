// Typed calls for the Logs page: the native log search with facet filters (`/api/ui/logs/*`) and
// Loki's LogQL API (`/loki/api/v1/query_range`, `/loki/api/v1/query`), mapped into the shapes
// the page shows (LogLine, LogBucket, RangeResult, Facets).
import type { LogBucket, LogLine, MatrixSeries, RangeResult } from "./index";
import {
  type LogFilters,
  facetQuery,
  filterParams,
  lokiLabelName,
  stepSeconds,
  volumeQuery,
} from "../logql";
import type { Bounds } from "../timeRange";

/** Lines a page of results holds. */
export const LINE_LIMIT = 200;

/** One value of a facet and how many matching lines have it. */
export interface FacetValue {
  value: string;
  count: number;
}

/** A facet: its top values, most frequent first, and the count of lines with other values. */
export interface Facet {
  values: FacetValue[];
  otherCount: number;
}

/** Facets by label name (`service_name`, `level`, and the attribute's Loki label name). */
export type Facets = Record<string, Facet>;

/** The error a failed response carries: Loki's plain text, or JSON `message`/`error`. */
async function failure(response: Response): Promise<Error> {
  const text = (await response.text()).trim();
  let message = text;
  try {
    const body = JSON.parse(text) as { message?: string; error?: string };
    message = body.message ?? body.error ?? text;
  } catch {
    // Plain text, as Loki (and Sightline) answer errors.
  }
  const status = `${response.status} ${response.statusText}`.trim();
  return new Error(message ? `${status}: ${message}` : status);
}

async function get<T>(url: string, headers?: Record<string, string>): Promise<T> {
  const response = await fetch(url, headers ? { headers } : undefined);
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

function nativeParams(q: string, filters: LogFilters, bounds: Bounds): URLSearchParams {
  return new URLSearchParams([
    ["q", q],
    ["start", String(bounds.start)],
    ["end", String(bounds.end)],
    ...filterParams(filters),
  ]);
}

/** `/api/ui/logs/search`: lines matching free text `q` and `filters`, newest first. */
export async function searchLines(
  q: string,
  filters: LogFilters,
  bounds: Bounds,
  limit = LINE_LIMIT,
): Promise<LogLine[]> {
  const params = nativeParams(q, filters, bounds);
  params.set("limit", String(limit));
  return (await get<{ lines: LogLine[] }>(`/api/ui/logs/search?${params}`)).lines;
}

/** `/api/ui/logs/histogram`: lines matching `q` and `filters` per interval (60), by level. */
export async function lineVolume(
  q: string,
  filters: LogFilters,
  bounds: Bounds,
): Promise<LogBucket[]> {
  const params = nativeParams(q, filters, bounds);
  params.set("buckets", "60");
  return (await get<{ buckets: LogBucket[] }>(`/api/ui/logs/histogram?${params}`)).buckets;
}

/**
 * `/api/ui/logs/facets`: top values of `service_name`, `level` and `attribute` (keyed by its
 * Loki label name) among the lines matching `q` and `filters`.
 */
export async function lineFacets(
  q: string,
  filters: LogFilters,
  bounds: Bounds,
  attribute?: string,
): Promise<Facets> {
  const params = nativeParams(q, filters, bounds);
  if (attribute) params.set("attribute", attribute);
  return (await get<{ facets: Facets }>(`/api/ui/logs/facets?${params}`)).facets;
}

/** Loki's `{status, data}` envelope. */
interface LokiResponse<T> {
  status: string;
  data: T;
}

/** A value of a stream: `[ns, line]`, or with categorized labels `[ns, line, {...}]`. */
type StreamValue = [
  string,
  string,
  { structuredMetadata?: Record<string, string>; parsed?: Record<string, string> }?,
];

/** One stream of a `streams` result. */
export interface LokiStream {
  stream: Record<string, string>;
  values: StreamValue[];
}

const LOKI_HEADERS = { "X-Loki-Response-Encoding-Flags": "categorize-labels" };

/** RFC 3339 (milliseconds) of a nanosecond timestamp. */
function isoOfNanos(ns: string): string {
  return new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
}

/** Loki streams as the page's lines, newest first. */
export function linesOfStreams(streams: LokiStream[]): LogLine[] {
  const lines: LogLine[] = [];
  for (const { stream, values } of streams) {
    for (const [time, line, extra] of values) {
      // Without categorized labels, metadata arrives among the stream's labels.
      const labels = { ...stream };
      const metadata = { ...extra?.structuredMetadata, ...extra?.parsed };
      const traceId = metadata.trace_id ?? labels.trace_id;
      const spanId = metadata.span_id ?? labels.span_id;
      for (const set of [labels, metadata]) {
        delete set.trace_id;
        delete set.span_id;
      }
      lines.push({
        time,
        timestamp: isoOfNanos(time),
        line,
        service: labels.service_name ?? "",
        level: labels.level ?? labels.detected_level ?? metadata.detected_level ?? "",
        traceId: traceId ?? null,
        spanId: spanId ?? null,
        labels,
        metadata,
      });
    }
  }
  const ns = (line: LogLine) => BigInt(line.time);
  return lines.sort((a, b) => (ns(a) < ns(b) ? 1 : ns(a) > ns(b) ? -1 : 0));
}

/** `/loki/api/v1/query_range` of a LogQL log query: its newest `limit` lines, newest first. */
export async function lokiLines(
  query: string,
  bounds: Bounds,
  limit = LINE_LIMIT,
): Promise<LogLine[]> {
  const params = new URLSearchParams({
    query,
    start: String(bounds.start),
    end: String(bounds.end),
    limit: String(limit),
    direction: "backward",
  });
  const body = await get<LokiResponse<{ resultType: string; result: LokiStream[] }>>(
    `/loki/api/v1/query_range?${params}`,
    LOKI_HEADERS,
  );
  if (body.data.resultType !== "streams") {
    throw new Error(`Expected log lines, got a ${body.data.resultType} result.`);
  }
  return linesOfStreams(body.data.result);
}

/** `/loki/api/v1/query_range` of a LogQL metric query: a matrix within `start..end`. */
async function lokiMatrix(
  query: string,
  start: number,
  end: number,
  step: number,
): Promise<MatrixSeries[]> {
  const params = new URLSearchParams({
    query,
    start: String(start),
    end: String(end),
    step: String(step),
  });
  const body = await get<LokiResponse<{ resultType: string; result: MatrixSeries[] }>>(
    `/loki/api/v1/query_range?${params}`,
  );
  if (body.data.resultType !== "matrix") {
    throw new Error(`Expected series, got a ${body.data.resultType} result.`);
  }
  return body.data.result;
}

/** A LogQL metric query over `bounds` (about 200 steps), for the time series chart. */
export async function lokiMetric(query: string, bounds: Bounds): Promise<RangeResult> {
  const step = stepSeconds(bounds.start, bounds.end, 200);
  const series = await lokiMatrix(query, bounds.start, bounds.end, step);
  return { start: bounds.start, end: bounds.end, series };
}

/**
 * Volume buckets of a `sum by (level) (count_over_time(...[step]))` matrix: `count` intervals
 * of `step` seconds, the last ending at `end`; a point at `t` counts the interval ending at `t`.
 */
export function bucketsOfMatrix(
  series: MatrixSeries[],
  end: number,
  step: number,
  count: number,
): LogBucket[] {
  const first = end - (count - 1) * step;
  const buckets: LogBucket[] = Array.from({ length: count }, (_, i) => ({
    time: String(BigInt(first + (i - 1) * step) * 1_000_000_000n),
    count: 0,
    levels: {},
  }));
  for (const { metric, values } of series) {
    const level = metric.level ?? "";
    for (const [t, v] of values) {
      const bucket = buckets[Math.round((t - first) / step)];
      const n = Number(v);
      if (!bucket || !Number.isFinite(n)) continue;
      bucket.count += n;
      bucket.levels[level] = (bucket.levels[level] ?? 0) + n;
    }
  }
  return buckets;
}

/** The volume histogram of a LogQL log query: lines per interval (about 60), by level. */
export async function lokiVolume(logQuery: string, bounds: Bounds): Promise<LogBucket[]> {
  const step = stepSeconds(bounds.start, bounds.end, 60);
  const count = Math.max(1, Math.ceil((bounds.end - bounds.start) / step));
  const first = bounds.end - (count - 1) * step;
  const series = await lokiMatrix(volumeQuery(logQuery, step), first, bounds.end, step);
  return bucketsOfMatrix(series, bounds.end, step, count);
}

/** One sample of an instant vector. */
interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** The top `top` values of `label` of a `sum by (label) (...)` vector (unlabelled skipped). */
export function facetOfVector(samples: VectorSample[], label: string, top = 10): Facet {
  const values = samples
    .filter((s) => s.metric[label] !== undefined)
    .map((s) => ({ value: s.metric[label], count: Number(s.value[1]) }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  const otherCount = values.slice(top).reduce((sum, v) => sum + v.count, 0);
  return { values: values.slice(0, top), otherCount };
}

/**
 * Facets of a LogQL log query over `bounds`, from `/loki/api/v1/query`: the line counts of the
 * whole range by `service_name`, `level` and the `attribute`'s Loki label name.
 */
export async function lokiFacets(
  logQuery: string,
  bounds: Bounds,
  attribute?: string,
): Promise<Facets> {
  const labels = ["service_name", "level"];
  if (attribute) labels.push(lokiLabelName(attribute));
  const facets = await Promise.all(
    labels.map(async (label) => {
      const params = new URLSearchParams({
        query: facetQuery(logQuery, label, bounds.end - bounds.start),
        time: String(bounds.end),
      });
      const body = await get<LokiResponse<{ resultType: string; result: VectorSample[] }>>(
        `/loki/api/v1/query?${params}`,
      );
      const samples = body.data.resultType === "vector" ? body.data.result : [];
      return [label, facetOfVector(samples, label)] as const;
    }),
  );
  return Object.fromEntries(facets);
}
