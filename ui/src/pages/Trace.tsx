// The trace view: the waterfall of one trace, read window by window from the native API and
// rendered with virtualised rows, so a trace of any size opens at once and scrolls smoothly.
// Subtrees fold and unfold; failed spans are marked; each bar sits on the trace's timeline.
import { useEffect, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { Link, useParams } from "react-router-dom";

import { type Waterfall, type WaterfallSpan, waterfall } from "../api";
import { ErrorBox, Loading } from "../components/Status";
import { formatDuration } from "./Traces";

/** Rows fetched per request. */
const WINDOW = 500;
const ROW_HEIGHT = 26;

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

function SpanRow(props: {
  span: WaterfallSpan;
  traceStart: bigint;
  traceEnd: bigint;
  onToggle: (spanId: string) => void;
}) {
  const { span } = props;
  return (
    <div className={`span-row ${span.status === "error" ? "error" : ""}`}>
      <div className="span-label" style={{ paddingLeft: `${span.depth * 14}px` }}>
        {span.childCount > 0 ? (
          <button
            type="button"
            className="toggle"
            aria-label={span.expanded ? "Collapse" : "Expand"}
            onClick={() => props.onToggle(span.spanID)}
          >
            {span.expanded ? "▾" : "▸"}
          </button>
        ) : (
          <span className="toggle" />
        )}
        <span className="service">{span.serviceName}</span> <span>{span.name}</span>
      </div>
      <div className="span-timeline">
        <div className="bar" style={barStyle(span, props.traceStart, props.traceEnd)} />
        <span className="duration">{formatDuration(Number(span.durationNanos) / 1e6)}</span>
      </div>
    </div>
  );
}

export function TracePage() {
  const { traceId = "" } = useParams();
  const [collapsed, setCollapsed] = useState<string[]>([]);
  const [head, setHead] = useState<Waterfall | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [rows, setRows] = useState<Map<number, WaterfallSpan[]>>(new Map());
  const requested = useRef(new Set<number>());
  const scroller = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let current = true;
    setError(null);
    requested.current = new Set([0]);
    waterfall(traceId, 0, WINDOW, collapsed).then(
      (first) => {
        if (!current) return;
        setHead(first);
        setRows(new Map([[0, first.spans]]));
      },
      (e: unknown) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [traceId, collapsed]);

  const virtualizer = useVirtualizer({
    count: head?.visibleCount ?? 0,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 30,
  });
  const items = virtualizer.getVirtualItems();

  useEffect(() => {
    for (const item of items) {
      const window = Math.floor(item.index / WINDOW);
      if (requested.current.has(window)) continue;
      requested.current.add(window);
      waterfall(traceId, window * WINDOW, WINDOW, collapsed).then(
        (part) => setRows((old) => new Map(old).set(window, part.spans)),
        (e: unknown) => setError(e),
      );
    }
  });

  if (error) return <ErrorBox error={error} />;
  if (!head) return <Loading />;
  const start = BigInt(head.startTimeUnixNano);
  const end = BigInt(head.endTimeUnixNano);
  const toggle = (spanId: string) =>
    setCollapsed((old) =>
      old.includes(spanId) ? old.filter((id) => id !== spanId) : [...old, spanId],
    );
  return (
    <section>
      <h1>
        Trace <code>{head.traceID}</code>
      </h1>
      <p className="trace-summary">
        {head.spanCount} spans · {formatDuration(Number(end - start) / 1e6)} ·{" "}
        <a href={`/api/v2/traces/${head.traceID}`}>OTLP JSON</a> ·{" "}
        <Link to="/traces">back to search</Link>
      </p>
      <div className="waterfall" ref={scroller}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const span = rows.get(Math.floor(item.index / WINDOW))?.[item.index % WINDOW];
            return (
              <div
                key={item.key}
                style={{
                  position: "absolute",
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW_HEIGHT,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                {span ? (
                  <SpanRow span={span} traceStart={start} traceEnd={end} onToggle={toggle} />
                ) : (
                  <div className="span-row loading">…</div>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
