// The time-range picker every page uses: relative ranges, or a custom absolute range entered
// as local date and time.
import { useState } from "react";

import {
  RELATIVE_RANGES,
  type TimeRange,
  fromLocalInput,
  resolveRange,
  toLocalInput,
} from "../timeRange";

const CUSTOM = "custom";

export function RangeSelect(props: { range: TimeRange; onChange: (range: TimeRange) => void }) {
  const { range } = props;
  const [editing, setEditing] = useState(range.kind === "absolute");
  const bounds = resolveRange(range);
  const [from, setFrom] = useState(toLocalInput(bounds.start));
  const [to, setTo] = useState(toLocalInput(bounds.end));
  const [problem, setProblem] = useState<string | null>(null);
  const known = range.kind === "relative" && RELATIVE_RANGES.some((r) => r.seconds === range.seconds);
  const selected = editing || range.kind === "absolute" ? CUSTOM : String(range.seconds);
  const apply = () => {
    const start = fromLocalInput(from);
    const end = fromLocalInput(to);
    if (start === null || end === null) return setProblem("Enter both dates.");
    if (start >= end) return setProblem("The start must be before the end.");
    setProblem(null);
    props.onChange({ kind: "absolute", from: start, to: end });
  };
  return (
    <span className="range-picker">
      <label>
        Time range
        <select
          value={selected}
          onChange={(event) => {
            if (event.target.value === CUSTOM) {
              setEditing(true);
              return;
            }
            setEditing(false);
            props.onChange({ kind: "relative", seconds: Number(event.target.value) });
          }}
        >
          {RELATIVE_RANGES.map((r) => (
            <option key={r.seconds} value={r.seconds}>
              {r.label}
            </option>
          ))}
          {!known && range.kind === "relative" && (
            <option value={range.seconds}>Last {range.seconds} seconds</option>
          )}
          <option value={CUSTOM}>Custom range…</option>
        </select>
      </label>
      {selected === CUSTOM && (
        <>
          <label>
            From
            <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label>
            To
            <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <button type="button" onClick={apply}>
            Apply range
          </button>
          {problem && <span role="alert">{problem}</span>}
        </>
      )}
    </span>
  );
}
