// The trace view: the waterfall of one trace, read window by window from the native API and
// rendered with virtualised rows, so a trace of any size opens at once and scrolls smoothly.
// Subtrees fold and unfold; failed spans are marked; the critical path is highlighted; a
// minimap shows the whole trace; a search finds spans; the selected span's details (in the URL
// as `?span=`) open beside the waterfall, and the trace's logs are listed under it.
import { useEffect, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { Link, useParams, useSearchParams } from "react-router-dom";

import { TraceNotFound, type Waterfall, type WaterfallSpan, waterfall } from "../api";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { Minimap } from "../components/trace/Minimap";
import { SpanDetailsPanel } from "../components/trace/SpanDetailsPanel";
import { TraceLogs } from "../components/trace/TraceLogs";
import { WaterfallRow } from "../components/trace/WaterfallRow";
import { formatNanos } from "../components/trace/format";
import "../components/trace/trace.css";

export { barStyle } from "../components/trace/WaterfallRow";

/** Rows fetched per request. */
const WINDOW = 500;
const ROW_HEIGHT = 26;
/** Bars of the minimap. */
const OVERVIEW_BARS = 400;

type Matches = { query: string; rows: number[]; total: number; hidden: number };

/** Tick labels of the timeline header: 0, ¼, ½, ¾ and the whole duration. */
export function ticks(totalNanos: number): string[] {
  return [0, 0.25, 0.5, 0.75, 1].map((f) => formatNanos(f * totalNanos));
}

export function TracePage() {
  const { traceId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const selected = params.get("span");
  const [collapsed, setCollapsed] = useState<string[]>([]);
  const [head, setHead] = useState<Waterfall | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [rows, setRows] = useState<Map<number, WaterfallSpan[]>>(new Map());
  const [showCritical, setShowCritical] = useState(true);
  const [draft, setDraft] = useState("");
  const [find, setFind] = useState("");
  const [matches, setMatches] = useState<Matches | null>(null);
  const [matchIndex, setMatchIndex] = useState(0);
  const requested = useRef(new Set<number>());
  const scroller = useRef<HTMLDivElement>(null);
  // A span to bring into view once its row is known (deep link or a click in the logs).
  const [locateTarget, setLocateTarget] = useState<string | null>(selected);
  const collapsedNow = useRef(collapsed);
  collapsedNow.current = collapsed;
  useEffect(() => {
    if (selected) setLocateTarget(selected);
  }, [selected]);

  useEffect(() => {
    let current = true;
    setError(null);
    requested.current = new Set([0]);
    waterfall(traceId, { offset: 0, limit: WINDOW, collapsed, overview: OVERVIEW_BARS }).then(
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

  // Windows of rows load as they scroll into view.
  useEffect(() => {
    for (const item of items) {
      const window = Math.floor(item.index / WINDOW);
      if (requested.current.has(window)) continue;
      requested.current.add(window);
      waterfall(traceId, { offset: window * WINDOW, limit: WINDOW, collapsed }).then(
        (part) => setRows((old) => new Map(old).set(window, part.spans)),
        (e: unknown) => setError(e),
      );
    }
  });

  // Bring a located span into view, unfolding its ancestors when it is folded away.
  // Runs again when the waterfall reloads after unfolding.
  useEffect(() => {
    if (!head || !locateTarget) return;
    let current = true;
    const folded = collapsedNow.current;
    waterfall(traceId, { offset: 0, limit: 1, collapsed: folded, locate: locateTarget }).then(
      (answer) => {
        const located = answer.located;
        if (!current || !located) return;
        if (located.row !== null) {
          setLocateTarget(null);
          // Scrolls only when the row is off screen.
          virtualizer.scrollToIndex(located.row, { align: "auto" });
        } else {
          setCollapsed(folded.filter((id) => !located.ancestors.includes(id)));
        }
      },
      (e: unknown) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [head, locateTarget, traceId, virtualizer]);

  // Search within the trace: matching visible rows, refreshed when folding changes.
  useEffect(() => {
    if (!find) {
      setMatches(null);
      return;
    }
    let current = true;
    waterfall(traceId, { offset: 0, limit: 1, collapsed, search: find }).then(
      (answer) => {
        if (!current || !answer.search) return;
        setMatches({ query: find, ...answer.search });
        setMatchIndex(0);
        if (answer.search.rows.length > 0) {
          virtualizer.scrollToIndex(answer.search.rows[0], { align: "center" });
        }
      },
      (e: unknown) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [find, traceId, collapsed, virtualizer]);

  if (error instanceof TraceNotFound) {
    // Logs keep trace ids of traces whose spans were sampled out or not exported (yet).
    return (
      <section className="trace-page">
        <h1>
          Trace <code>{traceId}</code>
        </h1>
        <Empty>
          {error.message} Its spans may have been sampled out or not exported yet; the log lines
          that carry its id are below.
        </Empty>
        <TraceLogs traceId={traceId} traceStart={null} />
      </section>
    );
  }
  if (error) return <ErrorBox error={error} />;
  if (!head) return <Loading />;
  const start = BigInt(head.startTimeUnixNano);
  const end = BigInt(head.endTimeUnixNano);
  const total = Number(end - start);
  const toggle = (spanId: string) =>
    setCollapsed((old) =>
      old.includes(spanId) ? old.filter((id) => id !== spanId) : [...old, spanId],
    );
  const select = (spanId: string) => {
    setParams({ span: spanId }, { replace: true });
  };
  const matchedRows = new Set(matches?.rows ?? []);
  const step = (delta: number) => {
    if (!matches || matches.rows.length === 0) return;
    const next = (matchIndex + delta + matches.rows.length) % matches.rows.length;
    setMatchIndex(next);
    virtualizer.scrollToIndex(matches.rows[next], { align: "center" });
  };
  const firstRow = items[0]?.index ?? 0;
  const lastRow = items[items.length - 1]?.index ?? 0;
  return (
    <section className="trace-page">
      <h1>
        Trace <code>{head.traceID}</code>
      </h1>
      <p className="trace-summary">
        {head.spanCount} spans · {formatNanos(total)} · {head.criticalSpanCount ?? 0} on the
        critical path · <a href={`/api/v2/traces/${head.traceID}`}>OTLP JSON</a> ·{" "}
        <Link to="/traces">back to search</Link>
      </p>
      <div className="trace-toolbar">
        <form
          className="trace-find"
          onSubmit={(event) => {
            event.preventDefault();
            setFind(draft.trim());
          }}
        >
          <label>
            Find in trace
            <input
              value={draft}
              onChange={(event) => setDraft(event.target.value)}
              placeholder="span name, service or span id"
              spellCheck={false}
            />
          </label>
          <button type="submit">Find</button>
          {matches && (
            <span className="find-result" role="status">
              {matches.rows.length === 0
                ? `No visible match for “${matches.query}”`
                : `${matchIndex + 1} of ${matches.rows.length}`}
              {matches.hidden > 0 && ` · ${matches.hidden} in folded spans`}
            </span>
          )}
          {matches && matches.rows.length > 1 && (
            <>
              <button type="button" onClick={() => step(-1)} aria-label="Previous match">
                ↑
              </button>
              <button type="button" onClick={() => step(1)} aria-label="Next match">
                ↓
              </button>
            </>
          )}
        </form>
        <label className="inline">
          <input
            type="checkbox"
            checked={showCritical}
            onChange={(event) => setShowCritical(event.target.checked)}
          />
          Critical path
        </label>
        <button type="button" onClick={() => setCollapsed([])} disabled={collapsed.length === 0}>
          Expand all
        </button>
      </div>
      <Minimap
        bars={head.overview ?? []}
        rowCount={head.visibleCount}
        totalNanos={total}
        firstRow={firstRow}
        lastRow={lastRow}
        onJump={(row) => virtualizer.scrollToIndex(row, { align: "start" })}
      />
      <div className={`trace-body ${selected ? "with-details" : ""}`}>
        <div className="waterfall-frame">
          <div className="timeline-header" aria-hidden="true">
            <span>Service and span</span>
            <div className="ticks">
              {ticks(total).map((tick, i) => (
                <span key={i}>{tick}</span>
              ))}
            </div>
          </div>
          <div className="waterfall" ref={scroller} role="table" aria-label="Waterfall">
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
                      <WaterfallRow
                        span={span}
                        traceStart={start}
                        traceEnd={end}
                        showCritical={showCritical}
                        selected={span.spanID === selected}
                        matched={matchedRows.has(item.index)}
                        onToggle={toggle}
                        onSelect={select}
                      />
                    ) : (
                      <div className="span-row loading">…</div>
                    )}
                  </div>
                );
              })}
            </div>
          </div>
        </div>
        {selected && (
          <SpanDetailsPanel
            traceId={traceId}
            spanId={selected}
            traceStart={start}
            onClose={() => setParams({}, { replace: true })}
          />
        )}
      </div>
      <TraceLogs traceId={traceId} traceStart={start} onSelectSpan={select} />
    </section>
  );
}
