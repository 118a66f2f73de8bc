// The relative time-range picker every page uses.

export const RANGES: { label: string; seconds: number }[] = [
  { label: "Last 15 minutes", seconds: 900 },
  { label: "Last hour", seconds: 3600 },
  { label: "Last 6 hours", seconds: 21600 },
  { label: "Last 24 hours", seconds: 86400 },
];

export function RangeSelect(props: { seconds: number; onChange: (seconds: string) => void }) {
  return (
    <label>
      Time range
      <select value={props.seconds} onChange={(event) => props.onChange(event.target.value)}>
        {RANGES.map((r) => (
          <option key={r.seconds} value={r.seconds}>
            {r.label}
          </option>
        ))}
      </select>
    </label>
  );
}
