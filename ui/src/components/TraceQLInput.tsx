// The TraceQL query box with autocomplete: a combobox whose listbox offers attributes, operators
// and values (from the tag APIs) at the cursor. Arrow keys move, Enter or Tab accepts, Escape
// closes, Ctrl+Space opens; clicking an option accepts it.
import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "react";

import type { ScopedTags, TagValue } from "../api/tempo";
import { type Completion, applyCompletion, completeTraceQL } from "../traceqlComplete";
import "./traceSearch.css";

export interface TraceQLInputProps {
  value: string;
  onChange: (text: string) => void;
  /** Span and resource tag names for attribute completions. */
  tags: ScopedTags;
  /** Loads the values of an attribute (as written); a new function starts a new cache. */
  loadValues: (attribute: string) => Promise<TagValue[]>;
  label?: string;
}

/** A labelled TraceQL input with a completion listbox under it. */
export function TraceQLInput({ value, onChange, tags, loadValues, label = "TraceQL" }: TraceQLInputProps) {
  const id = useId();
  const listId = `${id}-completions`;
  const input = useRef<HTMLInputElement>(null);
  const [cursor, setCursor] = useState(value.length);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [values, setValues] = useState<Record<string, TagValue[]>>({});
  const requested = useRef(new Set<string>());
  const pendingCursor = useRef<number | null>(null);

  // Values belong to the loader (its time range): start over when it changes.
  useEffect(() => {
    requested.current = new Set();
    setValues({});
  }, [loadValues]);

  const result = useMemo(
    () => completeTraceQL(value, Math.min(cursor, value.length), tags, values),
    [value, cursor, tags, values],
  );
  const options = open ? result.options : [];
  const shown = options.length > 0;
  const activeIndex = Math.min(active, Math.max(options.length - 1, 0));

  const needed = open ? result.needValues : undefined;
  useEffect(() => {
    if (!needed || requested.current.has(needed)) return;
    requested.current.add(needed);
    let current = true;
    loadValues(needed).then(
      (list) => current && setValues((old) => ({ ...old, [needed]: list })),
      () => current && setValues((old) => ({ ...old, [needed]: [] })),
    );
    return () => {
      current = false;
      requested.current.delete(needed);
    };
  }, [needed, loadValues]);

  // Put the caret after an accepted option once React has written the new value.
  useLayoutEffect(() => {
    if (pendingCursor.current === null || !input.current) return;
    input.current.setSelectionRange(pendingCursor.current, pendingCursor.current);
    pendingCursor.current = null;
  });

  useEffect(() => {
    if (!shown) return;
    document.getElementById(`${listId}-${activeIndex}`)?.scrollIntoView?.({ block: "nearest" });
  }, [shown, activeIndex, listId]);

  const accept = (option: Completion) => {
    const next = applyCompletion(value, result, option);
    pendingCursor.current = next.cursor;
    setCursor(next.cursor);
    setActive(0);
    onChange(next.text);
    // Keep offering: after an attribute come operators, after an operator values.
    setOpen(true);
  };

  const syncCursor = () => setCursor(input.current?.selectionStart ?? value.length);

  return (
    <div className="traceql-field">
      <label>
        {label}
        <input
          ref={input}
          value={value}
          role="combobox"
          aria-expanded={shown}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={shown ? `${listId}-${activeIndex}` : undefined}
          autoComplete="off"
          spellCheck={false}
          placeholder='{ resource.service.name = "checkout" }'
          onChange={(event) => {
            setCursor(event.target.selectionStart ?? event.target.value.length);
            setActive(0);
            setOpen(true);
            onChange(event.target.value);
          }}
          onSelect={syncCursor}
          onClick={syncCursor}
          onBlur={() => setOpen(false)}
          onKeyDown={(event) => {
            if (event.key === " " && event.ctrlKey) {
              event.preventDefault();
              syncCursor();
              setOpen(true);
              return;
            }
            if (!shown) {
              if (event.key === "ArrowDown") {
                syncCursor();
                setOpen(true);
              }
              return;
            }
            if (event.key === "ArrowDown" || event.key === "ArrowUp") {
              event.preventDefault();
              const step = event.key === "ArrowDown" ? 1 : -1;
              setActive((activeIndex + step + options.length) % options.length);
            } else if (event.key === "Enter" || event.key === "Tab") {
              event.preventDefault();
              accept(options[activeIndex]);
            } else if (event.key === "Escape") {
              event.preventDefault();
              setOpen(false);
            }
          }}
        />
      </label>
      <ul className="completions" role="listbox" id={listId} aria-label="Completions" hidden={!shown}>
        {options.map((option, index) => (
          <li
            key={`${index}:${option.label}`}
            id={`${listId}-${index}`}
            role="option"
            aria-selected={index === activeIndex}
            className={index === activeIndex ? "active" : undefined}
            // Keep the focus in the input.
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => accept(option)}
          >
            <span className="completion-label">{option.label}</span>
            <span className="completion-detail">{option.detail}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
