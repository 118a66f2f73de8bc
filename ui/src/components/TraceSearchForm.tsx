// The structured trace search form (like Jaeger's and Grafana's Tempo search): service, span name,
// attribute conditions and min/max duration. It edits a `SearchForm`; the parent turns it into
// TraceQL with `buildTraceQL`. Service and span name choices and attribute suggestions come from
// Tempo's tag APIs.
import { useEffect, useId, useRef, useState } from "react";

import { type ScopedTags, type TagValue, serviceNames, spanNames } from "../api/tempo";
import { type TimeRange, rangeKey, resolveRange } from "../timeRange";
import {
  type Condition,
  type FormErrors,
  KEYWORD_VALUES,
  OPERATORS,
  type Operator,
  type SearchForm,
  attributeName,
} from "../traceql";
import { attributeOptions } from "../traceqlComplete";
import { type Load, useLoad } from "../useLoad";
import "./traceSearch.css";

export interface TraceSearchFormProps {
  form: SearchForm;
  onChange: (form: SearchForm) => void;
  /** From `validateForm(form)`. */
  errors: FormErrors;
  /** Show every error (after a search attempt), not only those of fields the user has left. */
  showAllErrors: boolean;
  range: TimeRange;
  tags: ScopedTags;
  /** Loads an attribute's values; a new function starts a new cache. */
  loadValues: (attribute: string) => Promise<TagValue[]>;
}

/** `list` with `current` added when it is chosen but not among the loaded choices. */
function withCurrent(list: string[], current: string): string[] {
  return current && !list.includes(current) ? [current, ...list] : list;
}

/** A select of loaded choices with an "all" option; a note when they could not be loaded. */
function Choice(props: {
  label: string;
  all: string;
  value: string;
  choices: Load<string[]>;
  onChange: (value: string) => void;
}) {
  const { choices } = props;
  const list = withCurrent(choices.state === "done" ? choices.value : [], props.value);
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(event) => props.onChange(event.target.value)}>
        <option value="">{choices.state === "loading" ? "Loading…" : props.all}</option>
        {list.map((item) => (
          <option key={item} value={item}>
            {item}
          </option>
        ))}
      </select>
      {choices.state === "error" && <small>Couldn't load the choices; any value can be typed in the TraceQL box.</small>}
    </label>
  );
}

/** The form: one change at a time goes to `onChange` as a whole new form. */
export function TraceSearchForm(props: TraceSearchFormProps) {
  const { form, errors, range, loadValues } = props;
  const id = useId();
  const key = rangeKey(range);
  const services = useLoad(key, () => serviceNames(resolveRange(range)));
  const names = useLoad(`${key}|${form.service}`, () =>
    spanNames(resolveRange(range), form.service || undefined),
  );
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [values, setValues] = useState<Record<string, string[]>>({});
  const requested = useRef(new Set<string>());
  useEffect(() => {
    requested.current = new Set();
    setValues({});
  }, [loadValues]);

  const set = (change: Partial<SearchForm>) => props.onChange({ ...form, ...change });
  const setCondition = (index: number, change: Partial<Condition>) =>
    set({ conditions: form.conditions.map((c, i) => (i === index ? { ...c, ...change } : c)) });
  const visible = (field: string, message: string | undefined) =>
    message && (props.showAllErrors || touched[field]) ? message : undefined;
  const leave = (field: string) => () => setTouched((old) => ({ ...old, [field]: true }));
  const suggestValues = (rawKey: string) => {
    const attribute = attributeName(rawKey);
    if (!rawKey.trim() || KEYWORD_VALUES[attribute] || requested.current.has(attribute)) return;
    requested.current.add(attribute);
    loadValues(attribute).then(
      (list) => setValues((old) => ({ ...old, [attribute]: list.map((v) => v.value) })),
      () => requested.current.delete(attribute),
    );
  };
  const minError = visible("min", errors.minDuration);
  const maxError = visible("max", errors.maxDuration);

  return (
    <div className="trace-form">
      <div className="trace-form-row">
        <Choice
          label="Service"
          all="All services"
          value={form.service}
          choices={services}
          onChange={(service) => set({ service, spanName: "" })}
        />
        <Choice
          label="Span name"
          all="All span names"
          value={form.spanName}
          choices={names}
          onChange={(spanName) => set({ spanName })}
        />
        <label>
          Min duration
          <input
            className="duration"
            value={form.minDuration}
            placeholder="e.g. 100ms"
            aria-invalid={minError ? true : undefined}
            aria-describedby={minError ? `${id}-min-error` : undefined}
            onChange={(event) => set({ minDuration: event.target.value })}
            onBlur={leave("min")}
          />
        </label>
        <label>
          Max duration
          <input
            className="duration"
            value={form.maxDuration}
            placeholder="e.g. 1.5s"
            aria-invalid={maxError ? true : undefined}
            aria-describedby={maxError ? `${id}-max-error` : undefined}
            onChange={(event) => set({ maxDuration: event.target.value })}
            onBlur={leave("max")}
          />
        </label>
        <label>
          Duration of
          <select
            value={form.durationOf}
            onChange={(event) => set({ durationOf: event.target.value as SearchForm["durationOf"] })}
          >
            <option value="span">Each span</option>
            <option value="trace">Whole trace</option>
          </select>
        </label>
      </div>
      {(minError || maxError) && (
        <div className="trace-form-row field-errors">
          {minError && (
            <span className="field-error" role="alert" id={`${id}-min-error`}>
              Min duration: {minError}
            </span>
          )}
          {maxError && (
            <span className="field-error" role="alert" id={`${id}-max-error`}>
              Max duration: {maxError}
            </span>
          )}
        </div>
      )}
      <datalist id={`${id}-keys`}>
        {attributeOptions(props.tags).map((o) => (
          <option key={o.label} value={o.label} />
        ))}
      </datalist>
      {form.conditions.map((condition, index) => {
        const attribute = attributeName(condition.key);
        const suggestions = KEYWORD_VALUES[attribute] ?? values[attribute] ?? [];
        const error = visible(`condition-${index}`, errors.conditions?.[index]);
        return (
          <div className="trace-form-row condition" key={index}>
            <label>
              Attribute
              <input
                className="attribute"
                value={condition.key}
                list={`${id}-keys`}
                placeholder="span.http.route"
                spellCheck={false}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${id}-condition-${index}-error` : undefined}
                onChange={(event) => setCondition(index, { key: event.target.value })}
              />
            </label>
            <label>
              Operator
              <select
                value={condition.op}
                onChange={(event) => setCondition(index, { op: event.target.value as Operator })}
              >
                {OPERATORS.map((op) => (
                  <option key={op} value={op}>
                    {op}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Value
              <input
                className="value"
                value={condition.value}
                list={`${id}-values-${index}`}
                spellCheck={false}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${id}-condition-${index}-error` : undefined}
                onFocus={() => suggestValues(condition.key)}
                onChange={(event) => setCondition(index, { value: event.target.value })}
                onBlur={leave(`condition-${index}`)}
              />
            </label>
            <datalist id={`${id}-values-${index}`}>
              {suggestions.map((v) => (
                <option key={v} value={v} />
              ))}
            </datalist>
            <button
              type="button"
              aria-label={`Remove condition ${index + 1}`}
              onClick={() => set({ conditions: form.conditions.filter((_, i) => i !== index) })}
            >
              Remove
            </button>
            {error && (
              <span className="field-error" role="alert" id={`${id}-condition-${index}-error`}>
                {error}
              </span>
            )}
          </div>
        );
      })}
      <button
        type="button"
        className="add-condition"
        onClick={() => set({ conditions: [...form.conditions, { key: "", op: "=", value: "" }] })}
      >
        + Add attribute condition
      </button>
    </div>
  );
}
