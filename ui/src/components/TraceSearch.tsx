// The Traces page's search panel: "Search" (the structured form) and "TraceQL" tabs, the TraceQL
// box the form writes into (editable, with autocomplete), the time range and the Search button.
// The form and the box stay in step: form edits rewrite the box; box edits that the form can
// show update the form.
import { useCallback, useState } from "react";

import { type ScopedTags, scopedTags, tagValues } from "../api/tempo";
import { type TimeRange, rangeKey, resolveRange } from "../timeRange";
import {
  EMPTY_FORM,
  type SearchForm,
  buildTraceQL,
  hasErrors,
  parseSearchForm,
  validateForm,
} from "../traceql";
import { useLoad } from "../useLoad";
import { RangeSelect } from "./RangeSelect";
import { TraceQLInput } from "./TraceQLInput";
import { TraceSearchForm } from "./TraceSearchForm";
import "./traceSearch.css";

export interface TraceSearchProps {
  /** The searched query (the URL's `q`). */
  q: string;
  range: TimeRange;
  /** Runs a search for `q`. */
  onSearch: (q: string) => void;
  onRangeChange: (range: TimeRange) => void;
}

type Mode = "search" | "traceql";
const MODES: { mode: Mode; label: string }[] = [
  { mode: "search", label: "Search" },
  { mode: "traceql", label: "TraceQL" },
];
const NO_TAGS: ScopedTags = { span: [], resource: [] };

/** The search panel; opens on the form when `q` fits it, else on the TraceQL box alone. */
export function TraceSearch({ q, range, onSearch, onRangeChange }: TraceSearchProps) {
  const [initial] = useState(() => parseSearchForm(q));
  const [mode, setMode] = useState<Mode>(initial ? "search" : "traceql");
  const [form, setForm] = useState<SearchForm>(initial ?? EMPTY_FORM);
  const [draft, setDraft] = useState(q);
  // The box holds a query the form can't show.
  const [detached, setDetached] = useState(initial === null);
  const [submitted, setSubmitted] = useState(false);

  const editText = (text: string) => {
    setDraft(text);
    const parsed = parseSearchForm(text);
    if (parsed) setForm(parsed);
    setDetached(parsed === null);
  };
  const editForm = (next: SearchForm) => {
    setForm(next);
    setDraft(buildTraceQL(next));
    setDetached(false);
  };

  // A new `q` from the URL (back, forward, a link) replaces what is being edited.
  const [shownQ, setShownQ] = useState(q);
  if (q !== shownQ) {
    setShownQ(q);
    if (q !== draft) editText(q);
  }

  const key = rangeKey(range);
  const tags = useLoad(key, () => scopedTags(resolveRange(range)));
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const loadValues = useCallback((tag: string) => tagValues(tag, resolveRange(range)), [key]);
  const errors = validateForm(form);
  const blocked = mode === "search" && !detached && hasErrors(errors);

  return (
    <form
      className="trace-search"
      onSubmit={(event) => {
        event.preventDefault();
        setSubmitted(true);
        if (!blocked) onSearch(draft.trim() || "{}");
      }}
    >
      <div className="mode-tabs" role="tablist" aria-label="Query editor">
        {MODES.map(({ mode: m, label }, index) => (
          <button
            key={m}
            type="button"
            role="tab"
            aria-selected={mode === m}
            tabIndex={mode === m ? 0 : -1}
            onClick={() => setMode(m)}
            onKeyDown={(event) => {
              if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
              const next = MODES[(index + 1) % MODES.length];
              setMode(next.mode);
              const tabs = event.currentTarget.parentElement?.querySelectorAll("button");
              (tabs?.[MODES.indexOf(next)] as HTMLButtonElement | undefined)?.focus();
            }}
          >
            {label}
          </button>
        ))}
      </div>
      {mode === "search" && (
        <>
          <TraceSearchForm
            form={form}
            onChange={editForm}
            errors={errors}
            showAllErrors={submitted}
            range={range}
            tags={tags.state === "done" ? tags.value : NO_TAGS}
            loadValues={loadValues}
          />
          {detached && (
            <p className="trace-search-note">
              The query below goes beyond what the form can show; changing the form replaces it.
            </p>
          )}
        </>
      )}
      <div className="query">
        <TraceQLInput
          value={draft}
          onChange={editText}
          tags={tags.state === "done" ? tags.value : NO_TAGS}
          loadValues={loadValues}
        />
        <RangeSelect range={range} onChange={onRangeChange} />
        <button type="submit">Search</button>
      </div>
      {blocked && submitted && (
        <p className="status error" role="alert">
          Fix the highlighted fields to search.
        </p>
      )}
    </form>
  );
}
