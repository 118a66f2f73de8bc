// Logs: free-text search (Tantivy syntax: words, "phrases", field:value, AND/OR/NOT) over a
// relative time range, a volume histogram by level, and the newest lines first, each with its
// attributes on demand and a link to its trace. Query and range live in the URL.
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { type LogBucket, type LogLine, logVolume, searchLogs } from "../api";
import { RangeSelect } from "../components/RangeSelect";
import { rangeFromParams, rangeKey, rangeParams, resolveRange } from "../timeRange";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { useLoad } from "../useLoad";

/** The volume histogram as bars (real DOM, one per interval, titled with its count). */
export function Volume({ buckets }: { buckets: LogBucket[] }) {
  const highest = Math.max(1, ...buckets.map((b) => b.count));
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  return (
    <figure className="volume" aria-label={`${total} matching lines`}>
      {buckets.map((b) => (
        <div
          key={b.time}
          className={`bar ${b.levels.error || b.levels.fatal ? "has-errors" : ""}`}
          style={{ height: `${(100 * b.count) / highest}%` }}
          title={`${new Date(Number(BigInt(b.time) / 1_000_000n)).toLocaleTimeString()}: ${b.count}`}
        />
      ))}
      <figcaption>{total} matching lines</figcaption>
    </figure>
  );
}

function LogRow({ line }: { line: LogLine }) {
  const [open, setOpen] = useState(false);
  const attributes = { ...line.labels, ...line.metadata };
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
          {line.traceId && (
            <Link to={`/trace/${line.traceId}`} onClick={(e) => e.stopPropagation()}>
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
        {lines.map((line) => (
          <LogRow key={`${line.time}|${line.service}|${line.line}`} line={line} />
        ))}
      </tbody>
    </table>
  );
}

export function LogsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const range = rangeFromParams(params);
  const [draft, setDraft] = useState(q);
  const key = `${q}|${rangeKey(range)}`;
  const volume = useLoad(`volume|${key}`, () => logVolume(q, resolveRange(range)));
  const lines = useLoad(`lines|${key}`, () => searchLogs(q, resolveRange(range)));
  return (
    <section>
      <h1>Logs</h1>
      <form
        className="query"
        onSubmit={(event) => {
          event.preventDefault();
          setParams({ q: draft, ...rangeParams(range) });
        }}
      >
        <label>
          Search
          <input
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            spellCheck={false}
            placeholder='timeout service:checkout level:error "connection refused"'
          />
        </label>
        <RangeSelect range={range} onChange={(r) => setParams({ q, ...rangeParams(r) })} />
        <button type="submit">Search</button>
      </form>
      {volume.state === "done" && <Volume buckets={volume.value} />}
      {volume.state === "error" && <ErrorBox error={volume.error} />}
      {lines.state === "loading" && <Loading />}
      {lines.state === "error" && <ErrorBox error={lines.error} />}
      {lines.state === "done" && <LogList lines={lines.value} />}
    </section>
  );
}
