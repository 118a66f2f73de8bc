// Metrics: a PromQL box (metric names offered as you type) and a chart of the range query
// over the chosen time range; both live in the URL.
import { useState } from "react";
import { useSearchParams } from "react-router-dom";

import { metricNames, queryRange } from "../api";
import { RangeSelect } from "../components/RangeSelect";
import { rangeFromParams, rangeKey, rangeParams, resolveRange } from "../timeRange";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { TimeSeriesChart } from "../components/TimeSeriesChart";
import { useLoad } from "../useLoad";

export function MetricsPage() {
  const [params, setParams] = useSearchParams();
  const query = params.get("q") ?? "";
  const range = rangeFromParams(params);
  const [draft, setDraft] = useState(query);
  const names = useLoad("names", metricNames);
  const result = useLoad(`${query}|${rangeKey(range)}`, () =>
    query ? queryRange(query, resolveRange(range)) : Promise.resolve(null),
  );
  return (
    <section>
      <h1>Metrics</h1>
      <form
        className="query"
        onSubmit={(event) => {
          event.preventDefault();
          setParams({ q: draft, ...rangeParams(range) });
        }}
      >
        <label>
          PromQL
          <input
            value={draft}
            list="metric-names"
            onChange={(event) => setDraft(event.target.value)}
            spellCheck={false}
            placeholder="sum by (job) (rate(http_server_requests_total[5m]))"
          />
        </label>
        <datalist id="metric-names">
          {names.state === "done" && names.value.map((name) => <option key={name} value={name} />)}
        </datalist>
        <RangeSelect range={range} onChange={(r) => setParams({ q: query, ...rangeParams(r) })} />
        <button type="submit">Run</button>
      </form>
      {!query && <Empty>Enter a PromQL expression, e.g. a metric name.</Empty>}
      {query && result.state === "loading" && <Loading />}
      {query && result.state === "error" && <ErrorBox error={result.error} />}
      {result.state === "done" && result.value && result.value.series.length === 0 && (
        <Empty>No series match in this time range.</Empty>
      )}
      {result.state === "done" && result.value && result.value.series.length > 0 && (
        <TimeSeriesChart result={result.value} />
      )}
    </section>
  );
}
