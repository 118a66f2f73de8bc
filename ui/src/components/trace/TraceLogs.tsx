// The trace's log lines under its waterfall, oldest first; each line selects its span.
import type { LogLine } from "../../api";
import { traceLogs } from "../../api/trace";
import { useLoad } from "../../useLoad";
import { Empty, ErrorBox, Loading } from "../Status";
import { formatNanos } from "./format";

/** A line's time relative to the trace start: +1.2 ms, or -3 ms before it. */
export function offset(nanos: number): string {
  return nanos < 0 ? `-${formatNanos(-nanos)}` : `+${formatNanos(nanos)}`;
}

/** When a line was logged: its offset from the trace start, or its local time without one. */
function when(line: LogLine, traceStart: bigint | null): string {
  if (traceStart === null) return new Date(Number(BigInt(line.time) / 1_000_000n)).toLocaleTimeString();
  return offset(Number(BigInt(line.time) - traceStart));
}

export function TraceLogList(props: {
  lines: LogLine[];
  traceStart: bigint | null;
  /** Selects a span; absent when the trace's spans are not stored. */
  onSelectSpan?: (spanId: string) => void;
}) {
  const select = props.onSelectSpan;
  if (props.lines.length === 0) return <Empty>No log lines carry this trace's id.</Empty>;
  return (
    <table className="logs trace-logs">
      <thead>
        <tr>
          <th>{props.traceStart === null ? "Time" : "Offset"}</th>
          <th>Level</th>
          <th>Service</th>
          <th>Line</th>
          <th>Span</th>
        </tr>
      </thead>
      <tbody>
        {props.lines.map((line, i) => (
          <tr key={i} className={`log ${line.level}`}>
            <td className="time">{when(line, props.traceStart)}</td>
            <td>
              <span className={`level ${line.level}`}>{line.level}</span>
            </td>
            <td>{line.service}</td>
            <td className="line">{line.line}</td>
            <td>
              {line.spanId && select && (
                <button type="button" className="link" onClick={() => select(line.spanId ?? "")}>
                  <code>{line.spanId}</code>
                </button>
              )}
              {line.spanId && !select && <code>{line.spanId}</code>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TraceLogs(props: {
  traceId: string;
  traceStart: bigint | null;
  onSelectSpan?: (spanId: string) => void;
}) {
  const logs = useLoad(props.traceId, () => traceLogs(props.traceId));
  return (
    <section className="trace-logs-section">
      <h2>Logs{logs.state === "done" ? ` (${logs.value.length})` : ""}</h2>
      {logs.state === "loading" && <Loading />}
      {logs.state === "error" && <ErrorBox error={logs.error} />}
      {logs.state === "done" && (
        <TraceLogList
          lines={logs.value}
          traceStart={props.traceStart}
          onSelectSpan={props.onSelectSpan}
        />
      )}
    </section>
  );
}
