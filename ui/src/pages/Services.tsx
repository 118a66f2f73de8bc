// Services: every service's request rate, error rate and duration percentiles over the chosen
// range (from span metrics), and for one service (`?service=`) its RED charts over time, its
// top operations and links to its traces and logs. Range and service live in the URL.
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { type ServiceStats, listServices, topOperations } from "../api/services";
import { type Figure, Figures } from "../components/Figures";
import { RangeSelect } from "../components/RangeSelect";
import { ServiceRed } from "../components/ServiceRed";
import { Empty, ErrorBox, Loading } from "../components/Status";
import { logsLink, serviceLink, tracesLink } from "../components/serviceLinks";
import { formatPercent, formatRequestRate, formatSeconds } from "../components/units";
import { type TimeRange, rangeFromParams, rangeKey, rangeParams, resolveRange } from "../timeRange";
import { useLoad } from "../useLoad";
import "../components/services.css";

type SortKey = "service" | "rate" | "errorRate" | "p50" | "p95" | "p99";

const COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: "service", label: "Service", numeric: false },
  { key: "rate", label: "Requests", numeric: true },
  { key: "errorRate", label: "Errors", numeric: true },
  { key: "p50", label: "p50", numeric: true },
  { key: "p95", label: "p95", numeric: true },
  { key: "p99", label: "p99", numeric: true },
];

function compare(a: ServiceStats, b: ServiceStats, key: SortKey): number {
  if (key === "service") return a.service.localeCompare(b.service);
  // Unknown percentiles sort below every known one.
  return (a[key] ?? -1) - (b[key] ?? -1);
}

/** The table of services, sortable by any column; each name opens the service. */
export function ServiceTable({ services, range }: { services: ServiceStats[]; range: TimeRange }) {
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({
    key: "service",
    descending: false,
  });
  if (services.length === 0) {
    return <Empty>No span metrics in this time range: no service has sent traces.</Empty>;
  }
  const sorted = [...services].sort((a, b) => {
    const order = compare(a, b, sort.key) || a.service.localeCompare(b.service);
    return sort.descending ? -order : order;
  });
  const sortBy = (key: SortKey) =>
    setSort((s) => ({ key, descending: s.key === key ? !s.descending : key !== "service" }));
  return (
    <table className="list services">
      <thead>
        <tr>
          {COLUMNS.map((c) => (
            <th
              key={c.key}
              className={c.numeric ? "num" : undefined}
              aria-sort={sort.key === c.key ? (sort.descending ? "descending" : "ascending") : "none"}
            >
              <button type="button" onClick={() => sortBy(c.key)}>
                {c.label}
                {sort.key === c.key ? (sort.descending ? " ▼" : " ▲") : ""}
              </button>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sorted.map((s) => (
          <tr key={s.service}>
            <td className="name">
              <Link to={serviceLink(s.service, range)}>{s.service}</Link>
              {s.allKinds && (
                <span className="kind-note" title="No server or consumer spans: measured on all its spans">
                  all spans
                </span>
              )}
            </td>
            <td className="num">{formatRequestRate(s.rate)}</td>
            <td className={`num errors ${s.errorRate > 0 ? "failing" : ""}`}>{formatPercent(s.errorRate)}</td>
            <td className="num">{formatSeconds(s.p50)}</td>
            <td className="num">{formatSeconds(s.p95)}</td>
            <td className="num">{formatSeconds(s.p99)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A service's busiest operations in `range`, each linking to its traces. */
export function TopOperations({ service, range }: { service: string; range: TimeRange }) {
  const operations = useLoad(`ops|${service}|${rangeKey(range)}`, () =>
    topOperations(service, resolveRange(range)),
  );
  if (operations.state === "loading") return <Loading />;
  if (operations.state === "error") return <ErrorBox error={operations.error} />;
  if (operations.value.length === 0) return <Empty>No operations of {service} in this time range.</Empty>;
  return (
    <table className="list services operations">
      <thead>
        <tr>
          <th>Operation</th>
          <th>Kind</th>
          <th className="num">Rate</th>
          <th className="num">Errors</th>
          <th className="num">p95</th>
        </tr>
      </thead>
      <tbody>
        {operations.value.map((op) => (
          <tr key={`${op.kind}|${op.name}`}>
            <td className="name">
              <Link to={tracesLink(service, range, op.name)}>{op.name}</Link>
            </td>
            <td>{op.kind}</td>
            <td className="num">{formatRequestRate(op.rate)}</td>
            <td className={`num errors ${op.errorRate > 0 ? "failing" : ""}`}>{formatPercent(op.errorRate)}</td>
            <td className="num">{formatSeconds(op.p95)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The figures of one service over the whole range. */
export function ServiceFigures({ stats }: { stats: ServiceStats }) {
  const figures: Figure[] = [
    ["Requests", formatRequestRate(stats.rate), false],
    ["Errors", formatPercent(stats.errorRate), stats.errorRate > 0],
    ["p50", formatSeconds(stats.p50), false],
    ["p95", formatSeconds(stats.p95), false],
    ["p99", formatSeconds(stats.p99), false],
  ];
  return <Figures figures={figures} />;
}

/** One service: its figures, RED charts, top operations and links to its traces and logs. */
export function ServiceDetail(props: { service: string; stats?: ServiceStats; range: TimeRange }) {
  const { service, stats, range } = props;
  return (
    <div className="service-detail">
      <div className="service-head">
        <Link to={serviceLink(null, range)}>← All services</Link>
        <h2>{service}</h2>
        <Link to={tracesLink(service, range)}>Traces of {service}</Link>
        <Link to={logsLink(service, range)}>Logs of {service}</Link>
      </div>
      {!stats ? (
        <Empty>No span metrics for {service} in this time range.</Empty>
      ) : (
        <>
          <ServiceFigures stats={stats} />
          <ServiceRed service={service} range={range} allKinds={stats.allKinds} />
          <h2 className="service-section">Top operations</h2>
          <TopOperations service={service} range={range} />
        </>
      )}
    </div>
  );
}

export function ServicesPage() {
  const [params, setParams] = useSearchParams();
  const range = rangeFromParams(params);
  const service = params.get("service");
  const services = useLoad(`services|${rangeKey(range)}`, () => listServices(resolveRange(range)));
  return (
    <section>
      <h1>Services</h1>
      <form className="query" onSubmit={(event) => event.preventDefault()}>
        <RangeSelect
          range={range}
          onChange={(r) => setParams(service === null ? rangeParams(r) : { service, ...rangeParams(r) })}
        />
      </form>
      {services.state === "loading" && <Loading />}
      {services.state === "error" && <ErrorBox error={services.error} />}
      {services.state === "done" &&
        (service === null ? (
          <ServiceTable services={services.value} range={range} />
        ) : (
          <ServiceDetail
            service={service}
            stats={services.value.find((s) => s.service === service)}
            range={range}
          />
        ))}
    </section>
  );
}
