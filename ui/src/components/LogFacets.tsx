// The Logs page's facet column (top services, levels and the values of an attribute picked by
// name, each with its line count; a click filters on the value, a second click removes it) and
// the active filters as removable chips above the results.
import { useEffect, useState } from "react";

import type { Facet, Facets } from "../api/logs";
import { type FilterKey, type LogFilters, filterValue, lokiLabelName } from "../logql";
import type { Load } from "../useLoad";
import { ErrorBox, Loading } from "./Status";
import "./logs.css";

/** One facet: its values as toggle buttons, the selected one pressed. */
function FacetGroup(props: {
  title: string;
  facet: Facet | undefined;
  selected: string | undefined;
  className?: (value: string) => string;
  onToggle: (value: string | null) => void;
}) {
  const { facet, selected } = props;
  return (
    <section aria-label={props.title}>
      <h2>{props.title}</h2>
      {!facet || facet.values.length === 0 ? (
        <small>No values</small>
      ) : (
        <ul>
          {facet.values.map(({ value, count }) => (
            <li key={value}>
              <button
                type="button"
                className="facet-value"
                aria-pressed={selected === value}
                disabled={value === ""}
                title={selected === value ? "Remove this filter" : "Show only these lines"}
                onClick={() => props.onToggle(selected === value ? null : value)}
              >
                <span className={`name ${props.className?.(value) ?? ""}`}>
                  {value || "(none)"}
                </span>
                <span className="count">{count.toLocaleString()}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {facet && facet.otherCount > 0 && (
        <small>{facet.otherCount.toLocaleString()} lines with other values</small>
      )}
    </section>
  );
}

/**
 * The facet column: top `service_name` and `level` values of the lines the query and filters
 * match, and those of `attribute` once one is picked.
 */
export function LogFacets(props: {
  facets: Load<Facets | null>;
  filters: LogFilters;
  attribute: string;
  onAttribute: (name: string) => void;
  onToggle: (key: FilterKey, value: string | null) => void;
}) {
  const { facets, filters, attribute } = props;
  const [draft, setDraft] = useState(attribute);
  useEffect(() => setDraft(attribute), [attribute]);
  const loaded = facets.state === "done" ? (facets.value ?? {}) : null;
  const group = (title: string, label: string, key: FilterKey, className?: (v: string) => string) =>
    loaded && (
      <FacetGroup
        title={title}
        facet={loaded[label]}
        selected={filterValue(filters, key)}
        className={className}
        onToggle={(value) => props.onToggle(key, value)}
      />
    );
  return (
    <aside className="log-facets" aria-label="Facets">
      {facets.state === "loading" && <Loading />}
      {facets.state === "error" && <ErrorBox error={facets.error} />}
      {group("Service", "service_name", { kind: "service" })}
      {group("Level", "level", { kind: "level" }, (value) => `level ${value}`)}
      <form
        className="facet-attribute"
        onSubmit={(event) => {
          event.preventDefault();
          props.onAttribute(draft.trim());
        }}
      >
        <label>
          Attribute
          <input
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            spellCheck={false}
            placeholder="http.route"
          />
        </label>
        <button type="submit">Show</button>
      </form>
      {attribute && group(attribute, lokiLabelName(attribute), { kind: "attr", name: attribute })}
    </aside>
  );
}

/** The active filters as chips, each with a button removing it. */
export function FilterChips(props: {
  filters: LogFilters;
  onRemove: (key: FilterKey) => void;
}) {
  const { filters } = props;
  const chips: { key: FilterKey; name: string; value: string }[] = [];
  if (filters.service) {
    chips.push({ key: { kind: "service" }, name: "service", value: filters.service });
  }
  if (filters.level) chips.push({ key: { kind: "level" }, name: "level", value: filters.level });
  for (const [name, value] of filters.attrs) {
    chips.push({ key: { kind: "attr", name }, name, value });
  }
  if (chips.length === 0) return null;
  return (
    <ul className="filter-chips" aria-label="Filters">
      {chips.map(({ key, name, value }) => (
        <li key={`${key.kind}:${name}`}>
          <span>
            {name} = <strong>{value}</strong>
          </span>
          <button
            type="button"
            aria-label={`Remove filter ${name} = ${value}`}
            title="Remove filter"
            onClick={() => props.onRemove(key)}
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
