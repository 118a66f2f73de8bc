// The span-metrics API calls: what they ask Prometheus and how replies become service stats,
// RED series and top operations.
import { matrix, promError, stubFetch, vector } from "./promMock";
import { chooseStep, listServices, sampleValue, serviceSeries, topOperations, withGaps } from "./services";

const bounds = { start: 1700000000, end: 1700003600 };
const OK = "STATUS_CODE_OK";
const ERROR = "STATUS_CODE_ERROR";

afterEach(() => vi.unstubAllGlobals());

test("services: rates and errors summed per service, quantiles by label, sorted by name", async () => {
  const calls = stubFetch(({ params }) => {
    const query = params.get("query") ?? "";
    if (query.startsWith("label_replace(histogram_quantile")) {
      return vector([
        [{ service: "web", quantile: "0.5" }, 0.012],
        [{ service: "web", quantile: "0.95" }, 0.25],
        [{ service: "web", quantile: "0.99" }, "NaN"],
        [{ service: "batch", quantile: "0.95" }, 2],
      ]);
    }
    return vector([
      [{ service: "web", status_code: OK }, 3],
      [{ service: "web", status_code: ERROR }, 1],
      [{ service: "batch", status_code: "STATUS_CODE_UNSET", span_kinds: "all" }, 0.5],
    ]);
  });
  const services = await listServices(bounds);
  expect(calls).toHaveLength(2);
  expect(calls.every((c) => c.path === "/api/v1/query" && c.params.get("time") === "1700003600")).toBe(true);
  expect(calls[0].params.get("query")).toContain("[3600s]");
  expect(services).toEqual([
    { service: "batch", rate: 0.5, errors: 0, errorRate: 0, p50: null, p95: 2, p99: null, allKinds: true },
    { service: "web", rate: 4, errors: 1, errorRate: 0.25, p50: 0.012, p95: 0.25, p99: null, allKinds: false },
  ]);
});

test("errors of Prometheus reach the page", async () => {
  stubFetch(() => promError("parse error at char 3"));
  await expect(listServices(bounds)).rejects.toThrow("parse error at char 3");
});

test("a service's series: step and window, error percent, gaps", async () => {
  const calls = stubFetch(({ params }) => {
    const query = params.get("query") ?? "";
    if (query.includes("histogram_quantile")) {
      return matrix([
        [{ quantile: "0.5" }, [[1700000000, 0.01], [1700000018, "NaN"]]],
        [{ quantile: "0.95" }, [[1700000000, 0.1]]],
      ]);
    }
    return matrix([
      [{ status_code: OK }, [[1700000000, 3], [1700000018, 0], [1700000072, 2]]],
      [{ status_code: ERROR }, [[1700000000, 1]]],
    ]);
  });
  const red = await serviceSeries("web", false, bounds);
  expect(chooseStep(bounds)).toBe(18);
  expect(calls.map((c) => c.path)).toEqual(["/api/v1/query_range", "/api/v1/query_range"]);
  expect(calls[0].params.get("step")).toBe("18");
  expect(calls[0].params.get("query")).toContain('{service="web", span_kind=~');
  expect(calls[0].params.get("query")).toContain("[72s]");
  expect(red.window).toBe(72);
  expect(red.rate).toEqual([
    [1700000000000, 4],
    [1700000018000, 0],
    [1700000036000, null],
    [1700000072000, 2],
  ]);
  expect(red.errorPercent[0]).toEqual([1700000000000, 25]);
  expect(red.errorPercent[1]).toEqual([1700000018000, null]);
  expect(red.p50).toEqual([
    [1700000000000, 0.01],
    [1700000018000, null],
  ]);
  expect(red.p95).toEqual([[1700000000000, 0.1]]);
  expect(red.p99).toEqual([]);
});

test("top operations: by rate, at most the limit, with error share and p95", async () => {
  stubFetch(({ params }) => {
    const query = params.get("query") ?? "";
    if (query.startsWith("histogram_quantile")) {
      return vector([[{ span_name: "GET /cart", span_kind: "SPAN_KIND_SERVER" }, 0.05]]);
    }
    return vector([
      [{ span_name: "GET /cart", span_kind: "SPAN_KIND_SERVER", status_code: OK }, 1.5],
      [{ span_name: "GET /cart", span_kind: "SPAN_KIND_SERVER", status_code: ERROR }, 0.5],
      [{ span_name: "SELECT", span_kind: "SPAN_KIND_CLIENT", status_code: OK }, 4],
      [{ span_name: "render", span_kind: "SPAN_KIND_INTERNAL", status_code: OK }, 0.1],
    ]);
  });
  const ops = await topOperations("web", bounds, 2);
  expect(ops).toEqual([
    { name: "SELECT", kind: "client", rate: 4, errorRate: 0, p95: null },
    { name: "GET /cart", kind: "server", rate: 2, errorRate: 0.25, p95: 0.05 },
  ]);
});

test("samples: NaN and infinities are unknown; gaps break lines", () => {
  expect(sampleValue("1.5")).toBe(1.5);
  expect(sampleValue("NaN")).toBeNull();
  expect(sampleValue("+Inf")).toBeNull();
  expect(withGaps([[0, 1], [15000, 2], [60000, 3]], 15)).toEqual([
    [0, 1],
    [15000, 2],
    [30000, null],
    [60000, 3],
  ]);
});
