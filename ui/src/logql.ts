// The Logs page's query language logic, free of React and fetch: which language the query box
// holds (LogQL log query, LogQL metric query or native free text), the facet filters kept in the
// URL, and the LogQL text built from them (filters as stream matchers and label filter stages,
// the volume and facet metric queries).

/** What the query box holds. */
export type QueryMode = "logql" | "metric" | "text";

/** LogQL's range aggregations (`rate(...)`, `count_over_time(...)`, ...). */
const RANGE_FUNCTIONS = [
  "count_over_time",
  "rate",
  "rate_counter",
  "bytes_over_time",
  "bytes_rate",
  "absent_over_time",
  "sum_over_time",
  "avg_over_time",
  "min_over_time",
  "max_over_time",
  "stdvar_over_time",
  "stddev_over_time",
  "quantile_over_time",
  "first_over_time",
  "last_over_time",
];

/** LogQL's vector aggregations, which may also be written `sum by (x) (...)`. */
const VECTOR_FUNCTIONS = [
  "sum",
  "avg",
  "min",
  "max",
  "count",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "sort",
  "sort_desc",
  "approx_topk",
];

/** Other LogQL functions a metric query may start with. */
const OTHER_FUNCTIONS = ["vector", "label_replace"];

const CALLABLE = new Set([...RANGE_FUNCTIONS, ...VECTOR_FUNCTIONS, ...OTHER_FUNCTIONS]);
const GROUPABLE = new Set(VECTOR_FUNCTIONS);

/**
 * The language of `text`: a LogQL log query when it starts with `{`, a LogQL metric query when
 * it starts (after any opening parentheses) with a call of a LogQL function (`rate(`,
 * `sum by (level) (`, ...), otherwise the native free-text search.
 */
export function classifyQuery(text: string): QueryMode {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return "logql";
  const head = trimmed.replace(/^[(\s]+/, "");
  const call = /^([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(head);
  if (call && CALLABLE.has(call[1].toLowerCase())) return "metric";
  const grouped = /^([A-Za-z_][A-Za-z0-9_]*)\s+(by|without)\s*\(/i.exec(head);
  if (grouped && GROUPABLE.has(grouped[1].toLowerCase())) return "metric";
  return "text";
}

/** The label shown next to the query box for `mode`. */
export function modeLabel(mode: QueryMode): string {
  return mode === "text" ? "Text search" : mode === "logql" ? "LogQL" : "LogQL metric";
}

/** Facet filters: one service, one level, and attributes (`name=value`, one per name). */
export interface LogFilters {
  service?: string;
  level?: string;
  attrs: [string, string][];
}

/** The filters in the URL: `service=`, `level=` and repeated `attr=name=value`. */
export function filtersFromParams(params: URLSearchParams): LogFilters {
  const attrs: [string, string][] = [];
  for (const attr of params.getAll("attr")) {
    const at = attr.indexOf("=");
    if (at > 0) attrs.push([attr.slice(0, at), attr.slice(at + 1)]);
  }
  return {
    service: params.get("service") || undefined,
    level: params.get("level") || undefined,
    attrs,
  };
}

/** URL (and native API) parameters holding `filters`, as name/value pairs. */
export function filterParams(filters: LogFilters): [string, string][] {
  const pairs: [string, string][] = [];
  if (filters.service) pairs.push(["service", filters.service]);
  if (filters.level) pairs.push(["level", filters.level]);
  for (const [name, value] of filters.attrs) pairs.push(["attr", `${name}=${value}`]);
  return pairs;
}

/** Whether any filter is set. */
export function hasFilters(filters: LogFilters): boolean {
  return Boolean(filters.service || filters.level || filters.attrs.length);
}

/** A filter as the facets and chips name it: `service`, `level` or an attribute name. */
export type FilterKey = { kind: "service" | "level" } | { kind: "attr"; name: string };

/** `filters` with `key` set to `value` (replacing its previous value), or removed when null. */
export function setFilter(filters: LogFilters, key: FilterKey, value: string | null): LogFilters {
  if (key.kind === "attr") {
    const attrs = filters.attrs.filter(([name]) => name !== key.name);
    if (value !== null) attrs.push([key.name, value]);
    return { ...filters, attrs };
  }
  return { ...filters, [key.kind]: value ?? undefined };
}

/** The value `filters` holds for `key`, if any. */
export function filterValue(filters: LogFilters, key: FilterKey): string | undefined {
  if (key.kind !== "attr") return filters[key.kind];
  return filters.attrs.find(([name]) => name === key.name)?.[1];
}

/**
 * An attribute's Loki label name, as the server derives it: every character outside
 * `[A-Za-z0-9_]` becomes `_`, and a leading digit gets a `_` before it.
 */
export function lokiLabelName(name: string): string {
  const label = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(label) ? `_${label}` : label;
}

/** A LogQL string literal. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** Index just past the string literal starting at `at` (`"..."` with escapes, or backticks). */
function skipString(text: string, at: number): number {
  const close = text[at];
  let i = at + 1;
  while (i < text.length && text[i] !== close) i += close === '"' && text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** Index just past the bracket that closes the one at `at`, skipping string literals. */
function skipBracket(text: string, at: number, close: string): number {
  let i = at + 1;
  while (i < text.length && text[i] !== close) {
    i = text[i] === '"' || text[i] === "`" ? skipString(text, i) : i + 1;
  }
  return i + 1;
}

/**
 * `query` (LogQL, log or metric) restricted by `filters`: service and level become matchers of
 * every stream selector (both are stream labels), attributes a `| name="value"` label filter
 * stage right after it (they may be structured metadata, which selectors cannot match).
 */
export function withFilters(query: string, filters: LogFilters): string {
  const matchers: string[] = [];
  if (filters.service) matchers.push(`service_name=${quote(filters.service)}`);
  if (filters.level) matchers.push(`level=${quote(filters.level)}`);
  const stages = filters.attrs
    .map(([name, value]) => ` | ${lokiLabelName(name)}=${quote(value)}`)
    .join("");
  if (matchers.length === 0 && !stages) return query;
  let out = "";
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    if (c === '"' || c === "`") {
      const end = skipString(query, i);
      out += query.slice(i, end);
      i = end;
    } else if (c === "{") {
      const end = skipBracket(query, i, "}");
      const inner = query.slice(i + 1, end - 1).trim();
      out += `{${[inner, ...matchers].filter(Boolean).join(", ")}}`;
      i = end;
      // `{...}[5m] | stages` is also LogQL: the stages then go after the range.
      const range = /^\s*\[/.exec(query.slice(i));
      if (range && stages) {
        const close = skipBracket(query, i + range[0].length - 1, "]");
        out += query.slice(i, close);
        i = close;
      }
      out += stages;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** Seconds per interval for about `buckets` intervals over `start..end` (at least 1 s). */
export function stepSeconds(start: number, end: number, buckets = 60): number {
  return Math.max(1, Math.ceil((end - start) / buckets));
}

/** The metric query counting `logQuery`'s lines per level over `step`-second windows. */
export function volumeQuery(logQuery: string, step: number): string {
  return `sum by (level) (count_over_time(${logQuery} [${step}s]))`;
}

/** The metric query counting `logQuery`'s lines per value of `label` over `seconds`. */
export function facetQuery(logQuery: string, label: string, seconds: number): string {
  return `sum by (${label}) (count_over_time(${logQuery} [${Math.max(1, seconds)}s]))`;
}
