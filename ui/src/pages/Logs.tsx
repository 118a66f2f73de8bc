// Logs: one query box for LogQL (`{...}` log queries, `rate(...)`-style metric queries drawn as
// a chart, both through Loki's API) or the native free-text search (Tantivy syntax), over a
// time range; a volume histogram by level; a facet column (services, levels, an attribute) whose
// values filter the results, shown as removable chips; the newest lines first, each with its
// attributes on demand and a link to its trace and span. Query, range and filters live in the URL.
import { Suspense, lazy, useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";

import type { LogBucket, LogLine } from "../api";
import {
  LINE_LIMIT,
  lineFacets,
  lineVolume,
  lokiFacets,
  lokiLines,
  lokiMetric,
  lokiVolume,
  searchLines,
} from "../api/logs";
import { FilterChips, LogFacets } from "../components/LogFacets";
import { RangeSelect } from "../components/RangeSelect";
import { Empty, ErrorBox, Loading } from "../components/Status";
import {
  type LogFilters,
  type QueryMode,
  classifyQuery,
  filterParams,
  filtersFromParams,
  modeLabel,
  setFilter,
  withFilters,
} from "../logql";
import {
  type Bounds,
  type TimeRange,
  rangeFromParams,
  rangeKey,
  rangeParams,
  resolveRange,
} from "../timeRange";
import { useLoad } from "../useLoad";
import "../components/logs.css";

// ECharts is large: the chart loads only when a metric query is run.
const TimeSeriesChart = lazy(() =>
  import("../components/TimeSeriesChart").then((m) => ({ default: m.TimeSeriesChart })),
);

/** The volume histogram as bars (real DOM, one per interval, titled with its count). */
export function Volume({ buckets }: { buckets: LogBucket[] }) {
  const highest = Math.max(1, ...buckets.map((b) => b.count));
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  return (
    <figure className="volume" aria-label={`${total} matching lines`}>
      {buckets.map((b) => {
        // Failures and warnings stacked at the bottom of each bar, in proportion.
        const failed = (b.levels.error ?? 0) + (b.levels.fatal ?? 0);
        const warned = b.levels.warn ?? 0;
        const share = (n: number) => `${b.count > 0 ? (100 * n) / b.count : 0}%`;
        const time = new Date(Number(BigInt(b.time) / 1_000_000n)).toLocaleTimeString();
        return (
          <div
            key={b.time}
            className={`bar ${failed > 0 ? "has-errors" : ""}`}
            style={{ height: `${(100 * b.count) / highest}%` }}
            title={`${time}: ${b.count} lines${failed ? `, ${failed} errors` : ""}${warned ? `, ${warned} warnings` : ""}`}
          >
            {warned > 0 && <span className="warned" style={{ height: share(warned) }} />}
            {failed > 0 && <span className="failed" style={{ height: share(failed) }} />}
          </div>
        );
      })}
      <figcaption>{total} matching lines</figcaption>
    </figure>
  );
}

function LogRow({ line }: { line: LogLine }) {
  const [open, setOpen] = useState(false);
  const attributes = { ...line.labels, ...line.metadata };
  const href = traceHref(line);
  return (
    <>
      <tr className={`log ${line.level}`} onClick={() => setOpen(!open)}>
        <td className="time">{new Date(line.timestamp).toLocaleTimeString()}</td>
        <td>
          <span className={`level ${line.level}`}>{line.level}</span>
        </td>
        <td>{line.service}</td>
        <td className="line">{line.line}</td>
        <td>
          {href && (
            <Link to={href} onClick={(e) => e.stopPropagation()}>
              trace
            </Link>
          )}
        </td>
      </tr>
      {open && (
        <tr className="attributes">
          <td colSpan={5}>
            <dl>
              {Object.entries(attributes).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>{value}</dd>
                </div>
              ))}
            </dl>
          </td>
        </tr>
      )}
    </>
  );
}

/** The lines, newest first; a click on a row shows its labels and metadata. */
export function LogList({ lines }: { lines: LogLine[] }) {
  if (lines.length === 0) return <Empty>No lines match in this time range.</Empty>;
  return (
    <table className="list logs">
      <thead>
        <tr>
          <th>Time</th>
          <th>Level</th>
          <th>Service</th>
          <th>Line</th>
          <th>Trace</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line, i) => (
          <LogRow key={`${i}|${line.time}|${line.line}`} line={line} />
        ))}
      </tbody>
    </table>
  );
}

/** The trace page of a line: `/trace/<traceId>`, with `?span=<spanId>` when it has a span. */
export function traceHref(line: Pick<LogLine, "traceId" | "spanId">): string | null {
  if (!line.traceId) return null;
  return line.spanId ? `/trace/${line.traceId}?span=${line.spanId}` : `/trace/${line.traceId}`;
}

/** What the page shows for a query: lines, volume and facets, or a metric query's series. */
interface Loaders {
  lines: () => Promise<LogLine[] | null>;
  volume: () => Promise<LogBucket[] | null>;
  facets: (attribute: string) => ReturnType<typeof lineFacets> | Promise<null>;
  chart: () => ReturnType<typeof lokiMetric> | Promise<null>;
}

const none = () => Promise.resolve(null);

/** The loads of `q` in `mode` with `filters`, within the bounds `bounds()` gives when run. */
export function loaders(
  mode: QueryMode,
  q: string,
  filters: LogFilters,
  bounds: () => Bounds,
): Loaders {
  if (mode === "text") {
    return {
      lines: () => searchLines(q, filters, bounds()),
      volume: () => lineVolume(q, filters, bounds()),
      facets: (attribute) => lineFacets(q, filters, bounds(), attribute || undefined),
      chart: none,
    };
  }
  const query = withFilters(q.trim(), filters);
  if (mode === "metric") {
    return { lines: none, volume: none, facets: none, chart: () => lokiMetric(query, bounds()) };
  }
  return {
    lines: () => lokiLines(query, bounds()),
    volume: () => lokiVolume(query, bounds()),
    facets: (attribute) => lokiFacets(query, bounds(), attribute || undefined),
    chart: none,
  };
}

const PLACEHOLDER =
  'timeout level:error "connection refused"  or LogQL: {service_name="checkout"} |= "timeout"';
const MODE_HELP =
  "Text starting with { is a LogQL log query, a LogQL function call (rate, sum, ...) a " +
  "metric query; anything else is a free-text search.";

/** A change of the page's URL state; what it leaves out stays. */
interface Change {
  q?: string;
  range?: TimeRange;
  filters?: LogFilters;
  attribute?: string;
}

export function LogsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const range = rangeFromParams(params);
  const filters = filtersFromParams(params);
  const attribute = params.get("facet") ?? "";
  const [draft, setDraft] = useState(q);
  useEffect(() => setDraft(q), [q]);
  const mode = classifyQuery(q);
  const show = (next: Change) => {
    const url = new URLSearchParams([
      ["q", next.q ?? q],
      ...Object.entries(rangeParams(next.range ?? range)),
      ...filterParams(next.filters ?? filters),
    ]);
    const facet = next.attribute ?? attribute;
    if (facet) url.set("facet", facet);
    setParams(url);
  };
  const key = `${mode}|${q}|${new URLSearchParams(filterParams(filters))}|${rangeKey(range)}`;
  const load = loaders(mode, q, filters, () => resolveRange(range));
  const volume = useLoad(`volume|${key}`, load.volume);
  const lines = useLoad(`lines|${key}`, load.lines);
  const facets = useLoad(`facets|${key}|${attribute}`, () => load.facets(attribute));
  const chart = useLoad(`chart|${key}`, load.chart);
  const draftMode = classifyQuery(draft);
  return (
    <section>
      <h1>Logs</h1>
      <form
        className="query"
        onSubmit={(event) => {
          event.preventDefault();
          show({ q: draft });
        }}
      >
        <label>
          Search
          <input
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            spellCheck={false}
            placeholder={PLACEHOLDER}
          />
        </label>
        <span
          className={`query-mode ${draftMode}`}
          aria-live="polite"
          title={MODE_HELP}
        >
          {modeLabel(draftMode)}
        </span>
        <RangeSelect range={range} onChange={(r) => show({ range: r })} />
        <button type="submit">Search</button>
      </form>
      <FilterChips
        filters={filters}
        onRemove={(k) => show({ filters: setFilter(filters, k, null) })}
      />
      {mode === "metric" ? (
        <>
          {chart.state === "loading" && <Loading />}
          {chart.state === "error" && <ErrorBox error={chart.error} />}
          {chart.state === "done" && chart.value && chart.value.series.length === 0 && (
            <Empty>No series match in this time range.</Empty>
          )}
          {chart.state === "done" && chart.value && chart.value.series.length > 0 && (
            <Suspense fallback={<Loading />}>
              <TimeSeriesChart result={chart.value} />
            </Suspense>
          )}
        </>
      ) : (
        <div className="logs-layout">
          <LogFacets
            facets={facets}
            filters={filters}
            attribute={attribute}
            onAttribute={(name) => show({ attribute: name })}
            onToggle={(k, value) => show({ filters: setFilter(filters, k, value) })}
          />
          <div className="logs-results">
            {volume.state === "done" && volume.value && <Volume buckets={volume.value} />}
            {volume.state === "error" && <ErrorBox error={volume.error} />}
            {lines.state === "loading" && <Loading />}
            {lines.state === "error" && <ErrorBox error={lines.error} />}
            {lines.state === "done" && lines.value && <LogList lines={lines.value} />}
            {lines.state === "done" && lines.value && lines.value.length >= LINE_LIMIT && (
              <small className="log-limit">
                Showing the newest {LINE_LIMIT} lines: narrow the query or the range for older ones.
              </small>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
