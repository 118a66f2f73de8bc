// Tests of the Logs page's query classification, URL filters and LogQL rewriting.
import {
  classifyQuery,
  facetQuery,
  filterParams,
  filtersFromParams,
  hasFilters,
  lokiLabelName,
  modeLabel,
  setFilter,
  stepSeconds,
  volumeQuery,
  withFilters,
} from "./logql";

test("a query starting with { is LogQL, a LogQL function call a metric query, the rest text", () => {
  expect(classifyQuery('{service_name="checkout"} |= "timeout"')).toBe("logql");
  expect(classifyQuery('  {job=~".+"}')).toBe("logql");
  expect(classifyQuery('rate({service_name="x"}[1m])')).toBe("metric");
  expect(classifyQuery('sum by (level) (rate({service_name="x"}[1m]))')).toBe("metric");
  expect(classifyQuery('sum(count_over_time({a="b"}[5m])) by (level)')).toBe("metric");
  expect(classifyQuery('topk(5, bytes_over_time({a="b"}[5m]))')).toBe("metric");
  expect(classifyQuery('COUNT_OVER_TIME({a="b"}[5m])')).toBe("metric");
  expect(classifyQuery('(rate({a="b"}[1m]) / rate({a="c"}[1m]))')).toBe("metric");
  expect(classifyQuery("quantile_over_time (0.99, {a=\"b\"} | unwrap d [5m])")).toBe("metric");
  expect(classifyQuery("")).toBe("text");
  expect(classifyQuery("timeout")).toBe("text");
  expect(classifyQuery('level:error "connection refused"')).toBe("text");
  expect(classifyQuery("(timeout OR refused) AND service:cart")).toBe("text");
  expect(classifyQuery("rate limit exceeded")).toBe("text");
  expect(classifyQuery("sum by level")).toBe("text");
  expect(classifyQuery("retry(3)")).toBe("text");
  expect(modeLabel("logql")).toBe("LogQL");
  expect(modeLabel("metric")).toBe("LogQL metric");
  expect(modeLabel("text")).toBe("Text search");
});

test("filters round-trip through the URL, one value per service, level and attribute", () => {
  const params = new URLSearchParams(
    "q=x&service=checkout&level=error&attr=http.route=/cart&attr=bad&attr=k8s.pod=a=b",
  );
  const filters = filtersFromParams(params);
  expect(filters).toEqual({
    service: "checkout",
    level: "error",
    attrs: [
      ["http.route", "/cart"],
      ["k8s.pod", "a=b"],
    ],
  });
  expect(filterParams(filters)).toEqual([
    ["service", "checkout"],
    ["level", "error"],
    ["attr", "http.route=/cart"],
    ["attr", "k8s.pod=a=b"],
  ]);
  expect(hasFilters(filtersFromParams(new URLSearchParams("q=x")))).toBe(false);
  const changed = setFilter(
    setFilter(filters, { kind: "attr", name: "http.route" }, "/pay"),
    { kind: "service" },
    "cart",
  );
  expect(changed.service).toBe("cart");
  expect(changed.attrs).toEqual([
    ["k8s.pod", "a=b"],
    ["http.route", "/pay"],
  ]);
  const removed = setFilter(setFilter(changed, { kind: "level" }, null), { kind: "attr", name: "k8s.pod" }, null);
  expect(filterParams(removed)).toEqual([
    ["service", "cart"],
    ["attr", "http.route=/pay"],
  ]);
});

test("attribute names become Loki label names as the server derives them", () => {
  expect(lokiLabelName("http.route")).toBe("http_route");
  expect(lokiLabelName("k8s.pod-name")).toBe("k8s_pod_name");
  expect(lokiLabelName("1st")).toBe("_1st");
  expect(lokiLabelName("trace_id")).toBe("trace_id");
});

test("filters become matchers of every stream selector and label filter stages after it", () => {
  const none = { attrs: [] };
  expect(withFilters('{a="b"}', none)).toBe('{a="b"}');
  expect(withFilters('{service_name=~".+"} |= "x"', { service: "cart", attrs: [] })).toBe(
    '{service_name=~".+", service_name="cart"} |= "x"',
  );
  expect(withFilters("{}", { level: "error", attrs: [] })).toBe('{level="error"}');
  expect(
    withFilters('{a="}{"} |= "{b}" | line_format `{{.msg}}`', {
      service: "cart",
      level: "error",
      attrs: [["http.route", '/x"y']],
    }),
  ).toBe(
    '{a="}{", service_name="cart", level="error"} | http_route="/x\\"y" |= "{b}" | line_format `{{.msg}}`',
  );
  expect(withFilters('{a="\\"}"}', { level: "warn", attrs: [] })).toBe('{a="\\"}", level="warn"}');
  expect(
    withFilters('sum by (level) (rate({a="b"} |= "x" [1m])) / sum(rate({a="c"}[1m]))', {
      service: "cart",
      attrs: [["user.id", "7"]],
    }),
  ).toBe(
    'sum by (level) (rate({a="b", service_name="cart"} | user_id="7" |= "x" [1m])) / ' +
      'sum(rate({a="c", service_name="cart"}[1m] | user_id="7"))',
  );
});

test("the volume and facet metric queries wrap the log query", () => {
  expect(stepSeconds(0, 3600)).toBe(60);
  expect(stepSeconds(0, 3601)).toBe(61);
  expect(stepSeconds(0, 10)).toBe(1);
  expect(stepSeconds(0, 3600, 200)).toBe(18);
  expect(volumeQuery('{a="b"} |= "x"', 60)).toBe(
    'sum by (level) (count_over_time({a="b"} |= "x" [60s]))',
  );
  expect(facetQuery('{a="b"}', "service_name", 3600)).toBe(
    'sum by (service_name) (count_over_time({a="b"} [3600s]))',
  );
});
