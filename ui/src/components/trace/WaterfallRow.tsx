// One row of the waterfall: the span's place in the tree (fold toggle, service, name) and its
// bar on the trace timeline, with its own time on the critical path drawn over the bar.
import type { WaterfallSpan } from "../../api";
import { formatNanos, percent } from "./format";

/** Where a span's bar starts and how wide it is, in percent of the trace's duration. */
export function barStyle(
  span: Pick<WaterfallSpan, "startTimeUnixNano" | "durationNanos">,
  traceStart: bigint,
  traceEnd: bigint,
): { left: string; width: string } {
  const total = traceEnd > traceStart ? Number(traceEnd - traceStart) : 1;
  const width = Math.min(100, Math.max(0.2, (100 * Number(span.durationNanos)) / total));
  const start = (100 * Number(BigInt(span.startTimeUnixNano) - traceStart)) / total;
  // Very short spans keep a visible sliver; no bar runs past the end.
  const left = Math.max(0, Math.min(start, 100 - width));
  return { left: `${left.toFixed(3)}%`, width: `${width.toFixed(3)}%` };
}

export function WaterfallRow(props: {
  span: WaterfallSpan;
  traceStart: bigint;
  traceEnd: bigint;
  showCritical: boolean;
  selected: boolean;
  matched: boolean;
  onToggle: (spanId: string) => void;
  onSelect: (spanId: string) => void;
}) {
  const { span, traceStart, traceEnd } = props;
  const total = Number(traceEnd - traceStart);
  const classes = ["span-row"];
  if (span.status === "error") classes.push("error");
  if (props.selected) classes.push("selected");
  if (props.matched) classes.push("matched");
  if (props.showCritical && span.critical) classes.push("critical");
  return (
    <div
      className={classes.join(" ")}
      data-span-id={span.spanID}
      aria-selected={props.selected}
      role="row"
    >
      <div className="span-label" style={{ paddingLeft: `${span.depth * 14}px` }}>
        {span.childCount > 0 ? (
          <button
            type="button"
            className="toggle"
            aria-label={`${span.expanded ? "Collapse" : "Expand"} ${span.name}`}
            onClick={() => props.onToggle(span.spanID)}
          >
            {span.expanded ? "▾" : "▸"}
          </button>
        ) : (
          <span className="toggle" />
        )}
        <button
          type="button"
          className="span-name"
          title={`${span.serviceName} ${span.name}`}
          onClick={() => props.onSelect(span.spanID)}
        >
          <span className="service">{span.serviceName}</span> <span>{span.name}</span>
          {span.status === "error" && <span className="error-mark"> (error)</span>}
        </button>
      </div>
      <div className="span-timeline" onClick={() => props.onSelect(span.spanID)}>
        <div className="bar" style={barStyle(span, traceStart, traceEnd)} />
        {props.showCritical &&
          (span.criticalSegments ?? []).map(([from, to]) => (
            <div
              key={from}
              className="critical-segment"
              title="On the critical path"
              style={{
                left: `${percent(from, total).toFixed(3)}%`,
                width: `${Math.max(0.2, percent(to - from, total)).toFixed(3)}%`,
              }}
            />
          ))}
        <span className="duration">{formatNanos(Number(span.durationNanos))}</span>
      </div>
    </div>
  );
}
