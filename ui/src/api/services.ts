// Typed calls behind the Services page and the service map's side panel: Prometheus instant
// and range queries over span metrics (queries from ./serviceQueries), shaped into service
// stats, RED series and top operations.
import type { Bounds } from "../timeRange";
import { type MatrixSeries, prom } from ".";
import {
  ALL_KINDS_LABEL,
  ERROR_STATUS,
  QUANTILE_LABEL,
  operationsCallsQuery,
  operationsP95Query,
  rateWindow,
  serviceCallsQuery,
  serviceQuantilesQuery,
  servicesCallsQuery,
  servicesQuantilesQuery,
} from "./serviceQueries";

/** One sample of an instant query: labels and `[unix seconds, "value"]`. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Prometheus' `/api/v1/query` at `time` (unix seconds). */
export async function instantQuery(query: string, time: number): Promise<VectorSample[]> {
  const params = new URLSearchParams({ query, time: String(time) });
  const data = await prom<{ resultType: string; result: VectorSample[] }>(
    `/api/v1/query?${params}`,
  );
  return data.result;
}

/** The step `queryRange` (api/index.ts) picks for `bounds`: about 200 points, at least 15 s. */
export function chooseStep(bounds: Bounds): number {
  return Math.max(15, Math.ceil((bounds.end - bounds.start) / 200));
}

/** Prometheus' `/api/v1/query_range` within `bounds` every `step` seconds. */
export async function rangeQuery(query: string, bounds: Bounds, step: number): Promise<MatrixSeries[]> {
  const params = new URLSearchParams({
    query,
    start: String(bounds.start),
    end: String(bounds.end),
    step: String(step),
  });
  const data = await prom<{ resultType: string; result: MatrixSeries[] }>(
    `/api/v1/query_range?${params}`,
  );
  return data.result;
}

/** A sample value; null for NaN and infinities (a quantile without observations). */
export function sampleValue(text: string): number | null {
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** A service's RED numbers over a range. */
export interface ServiceStats {
  service: string;
  /** Requests per second. */
  rate: number;
  /** Failed requests per second. */
  errors: number;
  /** Failed share of requests, 0..1 (0 without requests). */
  errorRate: number;
  /** Duration percentiles, seconds (null without observations). */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Measured on all its spans: the service has no server or consumer spans. */
  allKinds: boolean;
}

/** Every service's stats over `bounds` (rates over the whole range), by name. */
export async function listServices(bounds: Bounds): Promise<ServiceStats[]> {
  const window = bounds.end - bounds.start;
  const [calls, quantiles] = await Promise.all([
    instantQuery(servicesCallsQuery(window), bounds.end),
    instantQuery(servicesQuantilesQuery(window), bounds.end),
  ]);
  const byName = new Map<string, ServiceStats>();
  const stats = (service: string) => {
    let entry = byName.get(service);
    if (!entry) {
      entry = { service, rate: 0, errors: 0, errorRate: 0, p50: null, p95: null, p99: null, allKinds: false };
      byName.set(service, entry);
    }
    return entry;
  };
  for (const { metric, value } of calls) {
    const entry = stats(metric.service ?? "");
    const perSecond = sampleValue(value[1]) ?? 0;
    entry.rate += perSecond;
    if (metric.status_code === ERROR_STATUS) entry.errors += perSecond;
    if (metric[ALL_KINDS_LABEL] === "all") entry.allKinds = true;
  }
  for (const { metric, value } of quantiles) {
    const entry = byName.get(metric.service ?? "");
    const key = quantileKey(metric[QUANTILE_LABEL]);
    if (entry && key) entry[key] = sampleValue(value[1]);
  }
  const list = [...byName.values()];
  for (const entry of list) entry.errorRate = entry.rate > 0 ? entry.errors / entry.rate : 0;
  return list.sort((a, b) => a.service.localeCompare(b.service));
}

function quantileKey(label: string | undefined): "p50" | "p95" | "p99" | null {
  return label === "0.5" ? "p50" : label === "0.95" ? "p95" : label === "0.99" ? "p99" : null;
}

/** A chart point: unix milliseconds and a value (null draws a gap). */
export type Point = [number, number | null];

/** One service's RED series over a range. */
export interface RedSeries {
  start: number;
  end: number;
  step: number;
  /** The rate window, seconds. */
  window: number;
  /** Requests per second. */
  rate: Point[];
  /** Failed share of requests in percent (a gap without requests). */
  errorPercent: Point[];
  /** Duration percentiles, seconds. */
  p50: Point[];
  p95: Point[];
  p99: Point[];
}

/** `points` with a null inserted where a step or more is missing, so the line breaks there. */
export function withGaps(points: Point[], stepSeconds: number): Point[] {
  const out: Point[] = [];
  for (const point of points) {
    const previous = out[out.length - 1];
    if (previous && point[0] - previous[0] > 1500 * stepSeconds) out.push([previous[0] + 1000 * stepSeconds, null]);
    out.push(point);
  }
  return out;
}

/** `service`'s rate, error percentage and duration percentiles over `bounds`. */
export async function serviceSeries(
  service: string,
  allKinds: boolean,
  bounds: Bounds,
): Promise<RedSeries> {
  const step = chooseStep(bounds);
  const window = rateWindow(step);
  const [calls, quantiles] = await Promise.all([
    rangeQuery(serviceCallsQuery(service, allKinds, window), bounds, step),
    rangeQuery(serviceQuantilesQuery(service, allKinds, window), bounds, step),
  ]);
  const totals = new Map<number, { all: number; failed: number }>();
  for (const series of calls) {
    const failed = series.metric.status_code === ERROR_STATUS;
    for (const [t, text] of series.values) {
      const total = totals.get(t) ?? { all: 0, failed: 0 };
      const perSecond = sampleValue(text) ?? 0;
      total.all += perSecond;
      if (failed) total.failed += perSecond;
      totals.set(t, total);
    }
  }
  const times = [...totals.keys()].sort((a, b) => a - b);
  const result: RedSeries = {
    start: bounds.start,
    end: bounds.end,
    step,
    window,
    rate: withGaps(times.map((t) => [t * 1000, totals.get(t)!.all]), step),
    errorPercent: withGaps(
      times.map((t) => {
        const { all, failed } = totals.get(t)!;
        return [t * 1000, all > 0 ? (100 * failed) / all : null];
      }),
      step,
    ),
    p50: [],
    p95: [],
    p99: [],
  };
  for (const series of quantiles) {
    const key = quantileKey(series.metric[QUANTILE_LABEL]);
    if (key) {
      result[key] = withGaps(series.values.map(([t, text]) => [t * 1000, sampleValue(text)]), step);
    }
  }
  return result;
}

/** One operation of a service (a span name and kind). */
export interface OperationStats {
  name: string;
  /** `server`, `client`, `internal`, `producer` or `consumer`. */
  kind: string;
  rate: number;
  errorRate: number;
  /** Seconds; null without observations. */
  p95: number | null;
}

/** `SPAN_KIND_SERVER` -> `server`. */
export function kindName(spanKind: string | undefined): string {
  return (spanKind ?? "").replace(/^SPAN_KIND_/, "").toLowerCase();
}

/** `service`'s busiest operations over `bounds`, by rate, at most `limit`. */
export async function topOperations(
  service: string,
  bounds: Bounds,
  limit = 20,
): Promise<OperationStats[]> {
  const window = bounds.end - bounds.start;
  const [calls, p95s] = await Promise.all([
    instantQuery(operationsCallsQuery(service, window), bounds.end),
    instantQuery(operationsP95Query(service, window), bounds.end),
  ]);
  const key = (metric: Record<string, string>) => `${metric.span_kind ?? ""}\u0000${metric.span_name ?? ""}`;
  const byKey = new Map<string, OperationStats & { errors: number }>();
  for (const { metric, value } of calls) {
    const k = key(metric);
    const entry = byKey.get(k) ?? {
      name: metric.span_name ?? "",
      kind: kindName(metric.span_kind),
      rate: 0,
      errors: 0,
      errorRate: 0,
      p95: null,
    };
    const perSecond = sampleValue(value[1]) ?? 0;
    entry.rate += perSecond;
    if (metric.status_code === ERROR_STATUS) entry.errors += perSecond;
    byKey.set(k, entry);
  }
  for (const { metric, value } of p95s) {
    const entry = byKey.get(key(metric));
    if (entry) entry.p95 = sampleValue(value[1]);
  }
  return [...byKey.values()]
    .sort((a, b) => b.rate - a.rate || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map(({ errors, ...op }) => ({ ...op, errorRate: op.rate > 0 ? errors / op.rate : 0 }));
}
