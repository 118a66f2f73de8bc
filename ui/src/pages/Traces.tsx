// Traces: a trace search (structured form or TraceQL) over a time range, a scatter plot and the
// list of matching traces; the query and range live in the URL.
import { Suspense, lazy } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { searchTraces, type TraceSummary } from "../api";
import { TraceSearch } from "../components/TraceSearch";
import { rangeFromParams, rangeKey, rangeParams, resolveRange } from "../timeRange";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { useLoad } from "../useLoad";
import "../components/traceSearch.css";

// The chart library loads with the first results.
const TraceScatter = lazy(() => import("../components/TraceScatter"));


/** Milliseconds as people read them: 850 ms, 1.25 s, 2 min 5 s. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "<1 ms";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2).replace(/\.?0+$/, "")} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function startTime(nanos: string): string {
  return new Date(Number(BigInt(nanos) / 1_000_000n)).toLocaleString();
}

/** Spans, errors and services of a trace from its `serviceStats`; null without them. */
export function traceStats(
  trace: TraceSummary,
): { spans: number; errors: number; services: string[] } | null {
  if (!trace.serviceStats) return null;
  const stats = Object.entries(trace.serviceStats);
  return {
    spans: stats.reduce((sum, [, s]) => sum + (s.spanCount ?? 0), 0),
    errors: stats.reduce((sum, [, s]) => sum + (s.errorCount ?? 0), 0),
    services: stats.map(([name]) => name).sort(),
  };
}

export function TraceTable({ traces }: { traces: TraceSummary[] }) {
  if (traces.length === 0) {
    return <Empty>No traces match in this time range.</Empty>;
  }
  return (
    <table className="list traces">
      <thead>
        <tr>
          <th>Root service</th>
          <th>Root span</th>
          <th>Start</th>
          <th>Duration</th>
          <th className="count">Spans</th>
          <th className="count">Errors</th>
          <th>Services</th>
          <th>Trace</th>
        </tr>
      </thead>
      <tbody>
        {traces.map((t) => {
          const stats = traceStats(t);
          return (
            <tr key={t.traceID}>
              <td>{t.rootServiceName ?? "<root span not yet received>"}</td>
              <td>{t.rootTraceName ?? ""}</td>
              <td>{startTime(t.startTimeUnixNano)}</td>
              <td>{formatDuration(t.durationMs)}</td>
              <td className="count">{stats?.spans ?? ""}</td>
              <td className={stats && stats.errors > 0 ? "count has-errors" : "count"}>
                {stats?.errors ?? ""}
              </td>
              <td className="services">{stats?.services.join(", ") ?? ""}</td>
              <td>
                <Link to={`/trace/${t.traceID}`}>
                  <code>{t.traceID}</code>
                </Link>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function TracesPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "{}";
  const range = rangeFromParams(params);
  const result = useLoad(`${q}|${rangeKey(range)}`, () => searchTraces(q, resolveRange(range)));
  return (
    <section>
      <h1>Traces</h1>
      <TraceSearch
        q={q}
        range={range}
        onSearch={(next) => setParams({ q: next, ...rangeParams(range) })}
        onRangeChange={(r) => setParams({ q, ...rangeParams(r) })}
      />
      {result.state === "loading" && <Loading />}
      {result.state === "error" && <ErrorBox error={result.error} />}
      {result.state === "done" && result.value.length > 0 && (
        <Suspense fallback={null}>
          <TraceScatter traces={result.value} />
        </Suspense>
      )}
      {result.state === "done" && <TraceTable traces={result.value} />}
    </section>
  );
}
