// Tests of the Logs page's API calls: request parameters and the mapping of Loki's answers.
import {
  bucketsOfMatrix,
  facetOfVector,
  lineFacets,
  linesOfStreams,
  lokiFacets,
  lokiLines,
  lokiMetric,
  lokiVolume,
  searchLines,
} from "./logs";

const bounds = { start: 1_700_000_000, end: 1_700_003_600 };

/** Stubs fetch with one answer per call, recording the requests. */
function answer(...bodies: (object | Response)[]) {
  const calls: { url: URL; headers: Record<string, string> }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({
      url: new URL(url, "http://ui"),
      headers: (init?.headers as Record<string, string>) ?? {},
    });
    const body = bodies.shift() ?? {};
    return body instanceof Response ? body : new Response(JSON.stringify(body));
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

test("the native search sends the text, range and filters", async () => {
  const calls = answer({ lines: [] }, { facets: { service_name: { values: [], otherCount: 0 } } });
  const filters = { service: "cart", level: "error", attrs: [["http.route", "/cart"]] as [string, string][] };
  await searchLines("timeout", filters, bounds);
  const search = calls[0].url;
  expect(search.pathname).toBe("/api/ui/logs/search");
  expect(search.searchParams.get("q")).toBe("timeout");
  expect(search.searchParams.get("service")).toBe("cart");
  expect(search.searchParams.get("level")).toBe("error");
  expect(search.searchParams.getAll("attr")).toEqual(["http.route=/cart"]);
  expect(search.searchParams.get("start")).toBe("1700000000");
  expect(search.searchParams.get("limit")).toBe("200");
  const facets = await lineFacets("", { attrs: [] }, bounds, "http.route");
  expect(calls[1].url.pathname).toBe("/api/ui/logs/facets");
  expect(calls[1].url.searchParams.get("attribute")).toBe("http.route");
  expect(facets.service_name.otherCount).toBe(0);
});

test("Loki streams become lines, newest first, with metadata and trace and span ids", () => {
  const lines = linesOfStreams([
    {
      stream: { service_name: "cart", level: "error" },
      values: [
        [
          "1700000002000000000",
          "declined",
          {
            structuredMetadata: { trace_id: "ab", span_id: "cd", "user_id": "7" },
            parsed: { status: "500" },
          },
        ],
      ],
    },
    {
      stream: { service_name: "web", trace_id: "ef" },
      values: [
        ["1700000003000000000", "plain"],
        ["1700000001000000000", "older"],
      ],
    },
  ]);
  expect(lines.map((l) => l.line)).toEqual(["plain", "declined", "older"]);
  expect(lines[1]).toEqual({
    time: "1700000002000000000",
    timestamp: "2023-11-14T22:13:22.000Z",
    line: "declined",
    service: "cart",
    level: "error",
    traceId: "ab",
    spanId: "cd",
    labels: { service_name: "cart", level: "error" },
    metadata: { user_id: "7", status: "500" },
  });
  expect(lines[0].traceId).toBe("ef");
  expect(lines[0].spanId).toBeNull();
  expect(lines[0].labels).toEqual({ service_name: "web" });
  expect(lines[0].level).toBe("");
});

test("a LogQL log query asks Loki for categorized labels, backward, 200 lines", async () => {
  const calls = answer({
    status: "success",
    data: { resultType: "streams", result: [{ stream: { service_name: "cart" }, values: [] }] },
  });
  expect(await lokiLines('{service_name="cart"}', bounds)).toEqual([]);
  const { url, headers } = calls[0];
  expect(url.pathname).toBe("/loki/api/v1/query_range");
  expect(url.searchParams.get("query")).toBe('{service_name="cart"}');
  expect(url.searchParams.get("direction")).toBe("backward");
  expect(url.searchParams.get("limit")).toBe("200");
  expect(url.searchParams.get("end")).toBe("1700003600");
  expect(headers["X-Loki-Response-Encoding-Flags"]).toBe("categorize-labels");
});

test("Loki's errors, plain text or JSON, become the error message", async () => {
  answer(
    new Response("parse error at line 1, col 2: syntax error\n", {
      status: 400,
      statusText: "Bad Request",
    }),
    new Response(JSON.stringify({ status: "error", error: "too many series" }), { status: 422 }),
  );
  await expect(lokiLines("{", bounds)).rejects.toThrow(
    "400 Bad Request: parse error at line 1, col 2: syntax error",
  );
  await expect(lokiMetric('rate({a="b"}[1m])', bounds)).rejects.toThrow("422: too many series");
});

test("the volume counts lines per level in intervals ending at the range's end", async () => {
  const calls = answer({
    status: "success",
    data: {
      resultType: "matrix",
      result: [
        { metric: { level: "info" }, values: [[1_700_000_060, "3"], [1_700_003_600, "1"]] },
        { metric: { level: "error" }, values: [[1_700_003_600, "2"]] },
      ],
    },
  });
  const buckets = await lokiVolume('{a="b"}', bounds);
  const { searchParams } = calls[0].url;
  expect(searchParams.get("query")).toBe('sum by (level) (count_over_time({a="b"} [60s]))');
  expect(searchParams.get("step")).toBe("60");
  expect(searchParams.get("start")).toBe("1700000060");
  expect(buckets.length).toBe(60);
  expect(buckets[0]).toEqual({ time: "1700000000000000000", count: 3, levels: { info: 3 } });
  expect(buckets[59]).toEqual({
    time: "1700003540000000000",
    count: 3,
    levels: { info: 1, error: 2 },
  });
  expect(bucketsOfMatrix([{ metric: {}, values: [[10, "4"], [99, "1"]] }], 10, 5, 2)).toEqual([
    { time: "0", count: 0, levels: {} },
    { time: "5000000000", count: 4, levels: { "": 4 } },
  ]);
});

test("LogQL facets count the whole range's lines by label, top values first", async () => {
  const vector = (label: string, pairs: [string, number][]) => ({
    status: "success",
    data: {
      resultType: "vector",
      result: pairs.map(([v, n]) => ({ metric: { [label]: v }, value: [1_700_003_600, String(n)] })),
    },
  });
  const calls = answer(
    vector("service_name", [["web", 2], ["cart", 5]]),
    vector("level", [["info", 7]]),
    vector("http_route", [["/cart", 1]]),
  );
  const facets = await lokiFacets('{a="b"}', bounds, "http.route");
  expect(calls.map((c) => c.url.searchParams.get("query"))).toEqual([
    'sum by (service_name) (count_over_time({a="b"} [3600s]))',
    'sum by (level) (count_over_time({a="b"} [3600s]))',
    'sum by (http_route) (count_over_time({a="b"} [3600s]))',
  ]);
  expect(calls[0].url.pathname).toBe("/loki/api/v1/query");
  expect(calls[0].url.searchParams.get("time")).toBe("1700003600");
  expect(facets.service_name.values).toEqual([
    { value: "cart", count: 5 },
    { value: "web", count: 2 },
  ]);
  expect(facets.http_route.values).toEqual([{ value: "/cart", count: 1 }]);
  const many = facetOfVector(
    [
      { metric: { level: "a" }, value: [0, "1"] },
      { metric: { level: "b" }, value: [0, "3"] },
      { metric: {}, value: [0, "9"] },
      { metric: { level: "c" }, value: [0, "2"] },
    ],
    "level",
    2,
  );
  expect(many).toEqual({
    values: [
      { value: "b", count: 3 },
      { value: "c", count: 2 },
    ],
    otherCount: 1,
  });
});
