// The queries of the Services page and the service map's side panel, built as plain strings:
// PromQL over Sightline's span metrics (Tempo's `traces_spanmetrics_*`), plus the TraceQL and
// log-search queries the pages link to. Pure functions, no I/O.

/** Calls per span: `traces_spanmetrics_calls_total{service, span_name, span_kind, status_code}`. */
export const CALLS = "traces_spanmetrics_calls_total";
/** Span duration histogram buckets (seconds, `le`). */
export const BUCKETS = "traces_spanmetrics_latency_bucket";
/** The spans that are a service's requests: the ones it serves or consumes. */
export const ENTRY_KINDS = 'span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"';
/** The status of a failed span. */
export const ERROR_STATUS = "STATUS_CODE_ERROR";
/** The percentiles every view shows. */
export const QUANTILES = [0.5, 0.95, 0.99] as const;

/** `value` as a PromQL double-quoted string (backslash, quote and newline escaped). */
export function promString(value: string): string {
  const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  return `"${escaped}"`;
}

/** `metric{a, b}` (just `metric` without matchers). */
function selector(metric: string, matchers: string[]): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(", ")}}`;
}

/** `rate(selector[Ns])`. */
function rate(metric: string, matchers: string[], windowSeconds: number): string {
  return `rate(${selector(metric, matchers)}[${Math.max(1, Math.round(windowSeconds))}s])`;
}

/** The rate window of a chart with `stepSeconds` between points: four steps, at least a minute. */
export function rateWindow(stepSeconds: number): number {
  return Math.max(60, 4 * stepSeconds);
}

/** The series label the quantile queries put each percentile in. */
export const QUANTILE_LABEL = "quantile";
/** The label the services query adds to services measured on all their spans. */
export const ALL_KINDS_LABEL = "span_kinds";

/** One vector per quantile of `QUANTILES`, told apart by the `quantile` label. */
function eachQuantile(expression: (q: number) => string): string {
  return QUANTILES.map(
    (q) => `label_replace(${expression(q)}, "${QUANTILE_LABEL}", "${q}", "", "")`,
  ).join(" or ");
}

/**
 * Every service's calls per second over the last `windowSeconds` (an instant query), by
 * `service` and `status_code`. Services are measured on their server and consumer spans; a
 * service without any is measured on all its spans and marked `span_kinds="all"`.
 */
export function servicesCallsQuery(windowSeconds: number): string {
  const entry = `sum by (service, status_code) (${rate(CALLS, [ENTRY_KINDS], windowSeconds)})`;
  const all = `sum by (service, status_code) (${rate(CALLS, [], windowSeconds)})`;
  return (
    `${entry} or label_replace(${all} unless on (service) ${entry}, ` +
    `"${ALL_KINDS_LABEL}", "all", "", "")`
  );
}

/**
 * Every service's p50, p95 and p99 span duration (seconds) over the last `windowSeconds`, by
 * `service` and `quantile`, from the same spans as `servicesCallsQuery`.
 */
export function servicesQuantilesQuery(windowSeconds: number): string {
  const entryCalls = `sum by (service) (${rate(CALLS, [ENTRY_KINDS], windowSeconds)})`;
  const quantile = (q: number, matchers: string[]) =>
    `histogram_quantile(${q}, sum by (service, le) (${rate(BUCKETS, matchers, windowSeconds)}))`;
  return eachQuantile(
    (q) => `${quantile(q, [ENTRY_KINDS])} or (${quantile(q, [])} unless on (service) ${entryCalls})`,
  );
}

function serviceMatchers(service: string, allKinds: boolean): string[] {
  const own = `service=${promString(service)}`;
  return allKinds ? [own] : [own, ENTRY_KINDS];
}

/**
 * One service's calls per second by `status_code` (a range query), over a `windowSeconds`
 * rate window; server and consumer spans unless `allKinds`.
 */
export function serviceCallsQuery(service: string, allKinds: boolean, windowSeconds: number): string {
  return `sum by (status_code) (${rate(CALLS, serviceMatchers(service, allKinds), windowSeconds)})`;
}

/** One service's p50, p95 and p99 span duration (seconds), by `quantile` (a range query). */
export function serviceQuantilesQuery(
  service: string,
  allKinds: boolean,
  windowSeconds: number,
): string {
  const buckets = rate(BUCKETS, serviceMatchers(service, allKinds), windowSeconds);
  return eachQuantile((q) => `histogram_quantile(${q}, sum by (le) (${buckets}))`);
}

/** A service's calls per second by operation (`span_name`, `span_kind`) and `status_code`. */
export function operationsCallsQuery(service: string, windowSeconds: number): string {
  const calls = rate(CALLS, [`service=${promString(service)}`], windowSeconds);
  return `sum by (span_name, span_kind, status_code) (${calls})`;
}

/** A service's p95 span duration (seconds) by operation (`span_name`, `span_kind`). */
export function operationsP95Query(service: string, windowSeconds: number): string {
  const buckets = rate(BUCKETS, [`service=${promString(service)}`], windowSeconds);
  return `histogram_quantile(0.95, sum by (span_name, span_kind, le) (${buckets}))`;
}

/** `value` as a TraceQL double-quoted string. */
export function traceqlString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The TraceQL query of a service's spans, or of one of its operations. */
export function tracesQuery(service: string, operation?: string): string {
  const own = `resource.service.name = ${traceqlString(service)}`;
  return operation === undefined
    ? `{ ${own} }`
    : `{ ${own} && name = ${traceqlString(operation)} }`;
}

/** The log search (Tantivy syntax) of a service's lines: `service:name`, quoted unless a word. */
export function logsQuery(service: string): string {
  if (/^\w+$/.test(service)) return `service:${service}`;
  return `service:"${service.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
