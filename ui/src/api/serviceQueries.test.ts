// The PromQL, TraceQL and log-search strings of the service views, and the links built on them.
import { logsLink, serviceLink, tracesLink } from "../components/serviceLinks";
import {
  logsQuery,
  operationsCallsQuery,
  operationsP95Query,
  promString,
  rateWindow,
  serviceCallsQuery,
  serviceQuantilesQuery,
  servicesCallsQuery,
  servicesQuantilesQuery,
  tracesQuery,
} from "./serviceQueries";

const ENTRY = 'span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"';

test("label values are escaped for PromQL double-quoted strings", () => {
  expect(promString("cart")).toBe('"cart"');
  expect(promString('say "hi"')).toBe('"say \\"hi\\""');
  expect(promString("C:\\dir")).toBe('"C:\\\\dir"');
  expect(promString("a\nb")).toBe('"a\\nb"');
  expect(serviceCallsQuery('we"b\\', false, 60)).toContain('service="we\\"b\\\\"');
});

test("the services list measures entry spans, falling back to all spans", () => {
  const entry = `sum by (service, status_code) (rate(traces_spanmetrics_calls_total{${ENTRY}}[3600s]))`;
  expect(servicesCallsQuery(3600)).toBe(
    `${entry} or label_replace(sum by (service, status_code) (rate(traces_spanmetrics_calls_total[3600s])) ` +
      `unless on (service) ${entry}, "span_kinds", "all", "", "")`,
  );
  const quantiles = servicesQuantilesQuery(900);
  expect(quantiles.split(" or label_replace(").length).toBe(3);
  expect(quantiles).toContain(
    `label_replace(histogram_quantile(0.5, sum by (service, le) (rate(traces_spanmetrics_latency_bucket{${ENTRY}}[900s]))) or ` +
      "(histogram_quantile(0.5, sum by (service, le) (rate(traces_spanmetrics_latency_bucket[900s]))) " +
      `unless on (service) sum by (service) (rate(traces_spanmetrics_calls_total{${ENTRY}}[900s]))), "quantile", "0.5", "", "")`,
  );
  expect(quantiles).toContain('"quantile", "0.95"');
  expect(quantiles).toContain('"quantile", "0.99"');
});

test("one service's series: by status code, and three quantiles", () => {
  expect(serviceCallsQuery("web", false, 60)).toBe(
    `sum by (status_code) (rate(traces_spanmetrics_calls_total{service="web", ${ENTRY}}[60s]))`,
  );
  expect(serviceCallsQuery("batch", true, 120)).toBe(
    'sum by (status_code) (rate(traces_spanmetrics_calls_total{service="batch"}[120s]))',
  );
  expect(serviceQuantilesQuery("web", false, 60)).toBe(
    [0.5, 0.95, 0.99]
      .map(
        (q) =>
          `label_replace(histogram_quantile(${q}, sum by (le) (rate(traces_spanmetrics_latency_bucket` +
          `{service="web", ${ENTRY}}[60s]))), "quantile", "${q}", "", "")`,
      )
      .join(" or "),
  );
});

test("operations are grouped by span name and kind", () => {
  expect(operationsCallsQuery("web", 3600)).toBe(
    'sum by (span_name, span_kind, status_code) (rate(traces_spanmetrics_calls_total{service="web"}[3600s]))',
  );
  expect(operationsP95Query("web", 3600)).toBe(
    'histogram_quantile(0.95, sum by (span_name, span_kind, le) (rate(traces_spanmetrics_latency_bucket{service="web"}[3600s])))',
  );
});

test("the rate window spans four steps, at least a minute", () => {
  expect(rateWindow(15)).toBe(60);
  expect(rateWindow(18)).toBe(72);
  expect(rateWindow(432)).toBe(1728);
});

test("traces and logs queries quote what they must", () => {
  expect(tracesQuery("web")).toBe('{ resource.service.name = "web" }');
  expect(tracesQuery("web", 'GET "/x"')).toBe(
    '{ resource.service.name = "web" && name = "GET \\"/x\\"" }',
  );
  expect(logsQuery("checkout")).toBe("service:checkout");
  expect(logsQuery("checkout-api")).toBe('service:"checkout-api"');
  expect(logsQuery('a "b"')).toBe('service:"a \\"b\\""');
});

test("links keep the time range", () => {
  const hour = { kind: "relative", seconds: 3600 } as const;
  const absolute = { kind: "absolute", from: 1700000000, to: 1700003600 } as const;
  const traces = new URL(tracesLink("web", hour, "GET /cart"), "http://x");
  expect(traces.pathname).toBe("/traces");
  expect(traces.searchParams.get("q")).toBe('{ resource.service.name = "web" && name = "GET /cart" }');
  expect(traces.searchParams.get("since")).toBe("3600");
  expect(logsLink("web", absolute)).toBe("/logs?q=service%3Aweb&from=1700000000&to=1700003600");
  expect(serviceLink("my svc", hour)).toBe("/services?service=my+svc&since=3600");
  expect(serviceLink(null, hour)).toBe("/services?since=3600");
});
