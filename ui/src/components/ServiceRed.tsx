// A service's RED charts over a time range: request rate, error percentage and duration
// percentiles (p50/p95/p99), from span metrics. Used by the Services page and the service
// map's side panel; loads its own data and shows loading, error and empty states.
import { useMemo } from "react";

import { type RedSeries, serviceSeries } from "../api/services";
import { type TimeRange, rangeKey, resolveRange } from "../timeRange";
import { useLoad } from "../useLoad";
import { RedChart, type ChartLine } from "./RedChart";
import { Empty, ErrorBox, Loading } from "./Status";

/** The three charts of already loaded series. */
export function RedCharts({ series }: { series: RedSeries }) {
  const lines = useMemo(() => {
    const rate: ChartLine[] = [{ name: "requests/s", points: series.rate, color: "--accent" }];
    const errors: ChartLine[] = [{ name: "errors %", points: series.errorPercent, color: "--firing" }];
    const durations: ChartLine[] = [
      { name: "p50", points: series.p50, color: "--accent" },
      { name: "p95", points: series.p95, color: "--pending" },
      { name: "p99", points: series.p99, color: "--firing" },
    ];
    return { rate, errors, durations };
  }, [series]);
  const { start, end } = series;
  return (
    <div className="red-charts">
      <RedChart title="Rate (req/s)" unit="rate" lines={lines.rate} start={start} end={end} />
      <RedChart title="Errors (% of requests)" unit="percent" lines={lines.errors} start={start} end={end} />
      <RedChart title="Duration (p50, p95, p99)" unit="seconds" lines={lines.durations} start={start} end={end} />
    </div>
  );
}

/**
 * `service`'s RED charts over `range`. Requests are its server and consumer spans, or all its
 * spans when `allKinds` (services that serve nothing, like batch jobs).
 */
export function ServiceRed(props: { service: string; range: TimeRange; allKinds?: boolean }) {
  const { service, range, allKinds = false } = props;
  const red = useLoad(`red|${service}|${allKinds}|${rangeKey(range)}`, () =>
    serviceSeries(service, allKinds, resolveRange(range)),
  );
  if (red.state === "loading") return <Loading />;
  if (red.state === "error") return <ErrorBox error={red.error} />;
  if (red.value.rate.length === 0) {
    return <Empty>No span metrics for {service} in this time range.</Empty>;
  }
  return (
    <>
      <RedCharts series={red.value} />
      <small className="red-note">
        Rates over {red.value.window}s windows, every {red.value.step}s;{" "}
        {allKinds ? "all spans (the service has no server or consumer spans)" : "server and consumer spans"}.
      </small>
    </>
  );
}
