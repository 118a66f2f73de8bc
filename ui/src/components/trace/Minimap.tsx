// The trace minimap: every visible row as a thin bar on the trace timeline (neighbouring rows
// merged by the server), failed ones red, the rows on screen framed; clicking jumps there.
import type { OverviewBar } from "../../api";
import { percent } from "./format";

export function Minimap(props: {
  bars: OverviewBar[];
  rowCount: number;
  totalNanos: number;
  firstRow: number;
  lastRow: number;
  onJump: (row: number) => void;
}) {
  const { bars, rowCount, totalNanos } = props;
  const rows = Math.max(1, rowCount);
  return (
    <div
      className="minimap"
      aria-label={`Minimap of ${rowCount} rows`}
      onClick={(event) => {
        const box = event.currentTarget.getBoundingClientRect();
        const fraction = box.height > 0 ? (event.clientY - box.top) / box.height : 0;
        props.onJump(Math.min(rows - 1, Math.max(0, Math.floor(fraction * rows))));
      }}
    >
      {bars.map((bar) => {
        const classes = ["minimap-bar"];
        if (bar.error) classes.push("error");
        return (
          <div
            key={bar.row}
            className={classes.join(" ")}
            style={{
              top: `${percent(bar.row, rows)}%`,
              height: `max(1px, ${percent(bar.rows, rows)}%)`,
              left: `${percent(bar.startNanos, totalNanos)}%`,
              width: `max(1px, ${percent(bar.endNanos - bar.startNanos, totalNanos)}%)`,
            }}
          />
        );
      })}
      <div
        className="minimap-view"
        style={{
          top: `${percent(props.firstRow, rows)}%`,
          height: `max(2px, ${percent(props.lastRow - props.firstRow + 1, rows)}%)`,
        }}
      />
    </div>
  );
}
