// Traces: a TraceQL search over a relative time range; the query and range live in the URL.
import { Suspense, lazy, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { searchTraces, type TraceSummary } from "../api";
import { RangeSelect } from "../components/RangeSelect";
import { rangeFromParams, rangeKey, rangeParams, resolveRange } from "../timeRange";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { useLoad } from "../useLoad";

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

export function TraceTable({ traces }: { traces: TraceSummary[] }) {
  if (traces.length === 0) {
    return <Empty>No traces match in this time range.</Empty>;
  }
  return (
    <table className="list">
      <thead>
        <tr>
          <th>Root service</th>
          <th>Root span</th>
          <th>Start</th>
          <th>Duration</th>
          <th>Trace</th>
        </tr>
      </thead>
      <tbody>
        {traces.map((t) => (
          <tr key={t.traceID}>
            <td>{t.rootServiceName ?? "<root span not yet received>"}</td>
            <td>{t.rootTraceName ?? ""}</td>
            <td>{startTime(t.startTimeUnixNano)}</td>
            <td>{formatDuration(t.durationMs)}</td>
            <td>
              <Link to={`/trace/${t.traceID}`}>
                <code>{t.traceID}</code>
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TracesPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "{}";
  const range = rangeFromParams(params);
  const [draft, setDraft] = useState(q);
  const result = useLoad(`${q}|${rangeKey(range)}`, () => searchTraces(q, resolveRange(range)));
  return (
    <section>
      <h1>Traces</h1>
      <form
        className="query"
        onSubmit={(event) => {
          event.preventDefault();
          setParams({ q: draft, ...rangeParams(range) });
        }}
      >
        <label>
          TraceQL
          <input
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            spellCheck={false}
          />
        </label>
        <RangeSelect range={range} onChange={(r) => setParams({ q, ...rangeParams(r) })} />
        <button type="submit">Search</button>
      </form>
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
