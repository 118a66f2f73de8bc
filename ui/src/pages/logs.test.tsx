// Tests of the Logs page: the line list and volume, and the page in its three query modes with
// facets and filter chips (fetch stubbed by path).
import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";

import { LogList, LogsPage, Volume, traceHref } from "./Logs";

// ECharts does not draw in jsdom: the lazily loaded chart is replaced by its series' names.
vi.mock("../components/TimeSeriesChart", () => ({
  TimeSeriesChart: ({ result }: { result: { series: { metric: Record<string, string> }[] } }) => (
    <ul aria-label="chart">
      {result.series.map((s) => (
        <li key={JSON.stringify(s.metric)}>{JSON.stringify(s.metric)}</li>
      ))}
    </ul>
  ),
}));

const line = {
  time: "1700000000000000000",
  timestamp: "2023-11-14T22:13:20Z",
  line: "connection refused by upstream",
  service: "cart",
  level: "error",
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  labels: { service_name: "cart" },
  metadata: { "http.route": "/cart" },
};

afterEach(() => vi.unstubAllGlobals());

test("lines show level, service and a trace link, and open their attributes", () => {
  render(
    <MemoryRouter>
      <LogList lines={[line]} />
    </MemoryRouter>,
  );
  expect(screen.getByText("connection refused by upstream")).toBeTruthy();
  const link = screen.getByText("trace").closest("a");
  expect(link?.getAttribute("href")).toBe(
    "/trace/0af7651916cd43dd8448eb211c80319c?span=b7ad6b7169203331",
  );
  expect(screen.queryByText("http.route")).toBeNull();
  fireEvent.click(screen.getByText("connection refused by upstream"));
  expect(screen.getByText("http.route")).toBeTruthy();
  expect(screen.getByText("/cart")).toBeTruthy();
});

test("a line links its trace, and its span when it has one", () => {
  expect(traceHref({ traceId: "ab", spanId: null })).toBe("/trace/ab");
  expect(traceHref({ traceId: "ab", spanId: "cd" })).toBe("/trace/ab?span=cd");
  expect(traceHref({ traceId: null, spanId: "cd" })).toBeNull();
});

test("the volume shows one bar per interval and the total", () => {
  const { container } = render(
    <Volume
      buckets={[
        { time: "1700000000000000000", count: 3, levels: { info: 3 } },
        { time: "1700000060000000000", count: 1, levels: { error: 1 } },
        { time: "1700000120000000000", count: 4, levels: { info: 2, warn: 1, error: 1 } },
      ]}
    />,
  );
  expect(container.querySelectorAll(".bar").length).toBe(3);
  expect(container.querySelectorAll(".bar.has-errors").length).toBe(2);
  expect(screen.getByText("8 matching lines")).toBeTruthy();
  // Errors and warnings are their share of a bar, not the whole bar.
  const mixed = container.querySelectorAll<HTMLElement>(".bar")[2];
  expect(mixed.style.height).toBe("100%");
  expect(mixed.querySelector<HTMLElement>(".failed")?.style.height).toBe("25%");
  expect(mixed.querySelector<HTMLElement>(".warned")?.style.height).toBe("25%");
  expect(mixed.title).toContain("4 lines, 1 errors, 1 warnings");
});

test("no lines says so", () => {
  render(<LogList lines={[]} />);
  expect(screen.getByText("No lines match in this time range.")).toBeTruthy();
});

/** Stubs fetch: each path answers with `route(url)` (an object as JSON, or a Response). */
function serve(route: (url: URL) => object | Response) {
  const urls: URL[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string) => {
      const url = new URL(input, "http://ui");
      urls.push(url);
      const body = route(url);
      return body instanceof Response ? body : new Response(JSON.stringify(body));
    }),
  );
  return urls;
}

function Where() {
  const location = useLocation();
  return <output aria-label="url">{location.search}</output>;
}

function renderPage(search: string) {
  return render(
    <MemoryRouter initialEntries={[`/logs${search}`]}>
      <Routes>
        <Route
          path="/logs"
          element={
            <>
              <LogsPage />
              <Where />
            </>
          }
        />
      </Routes>
    </MemoryRouter>,
  );
}

const facet = (values: [string, number][], otherCount = 0) => ({
  values: values.map(([value, count]) => ({ value, count })),
  otherCount,
});

const loki = (data: object) => ({ status: "success", data });

test("text mode: facets filter the native search, shown as removable chips in the URL", async () => {
  const urls = serve((url) => {
    if (url.pathname.endsWith("/search")) return { lines: [line] };
    if (url.pathname.endsWith("/histogram")) return { buckets: [] };
    return {
      facets: {
        service_name: facet([["cart", 4], ["web", 2]], 3),
        level: facet([["error", 4]]),
        http_route: facet([["/cart", 4]]),
      },
    };
  });
  await act(async () => renderPage("?q=refused&since=900&level=error"));
  expect(screen.getByText("Text search")).toBeTruthy();
  expect(await screen.findByText("connection refused by upstream")).toBeTruthy();
  const search = urls.find((u) => u.pathname === "/api/ui/logs/search")!;
  expect(search.searchParams.get("q")).toBe("refused");
  expect(search.searchParams.get("level")).toBe("error");
  expect(screen.getByText("3 lines with other values")).toBeTruthy();
  const levels = screen.getByRole("region", { name: "Level" });
  expect(within(levels).getByRole("button", { pressed: true }).textContent).toContain("error");

  const services = screen.getByRole("region", { name: "Service" });
  await act(async () => fireEvent.click(within(services).getByText("web")));
  const url = () => new URLSearchParams(screen.getByLabelText("url").textContent ?? "");
  expect(url().get("service")).toBe("web");
  expect(url().get("since")).toBe("900");
  expect(urls.at(-1)?.searchParams.get("service")).toBe("web");

  fireEvent.change(screen.getByLabelText("Attribute"), { target: { value: "http.route" } });
  await act(async () => fireEvent.click(screen.getByRole("button", { name: "Show" })));
  expect(urls.at(-1)?.searchParams.get("attribute")).toBe("http.route");
  const routes = await screen.findByRole("region", { name: "http.route" });
  await act(async () => fireEvent.click(within(routes).getByText("/cart")));
  expect(url().getAll("attr")).toEqual(["http.route=/cart"]);
  expect(urls.at(-1)?.searchParams.getAll("attr")).toEqual(["http.route=/cart"]);

  const chips = screen.getByRole("list", { name: "Filters" });
  expect(within(chips).getAllByRole("listitem").length).toBe(3);
  await act(async () =>
    fireEvent.click(screen.getByRole("button", { name: "Remove filter level = error" })),
  );
  expect(url().get("level")).toBeNull();
  expect(url().get("service")).toBe("web");
});

test("LogQL mode: lines and facets from Loki, filters added to the stream selector", async () => {
  const urls = serve((url) => {
    const query = url.searchParams.get("query") ?? "";
    if (url.pathname === "/loki/api/v1/query") {
      const label = /^sum by \((\w+)\)/.exec(query)![1];
      const value = label === "level" ? "error" : "cart";
      return loki({ resultType: "vector", result: [{ metric: { [label]: value }, value: [0, "3"] }] });
    }
    if (query.startsWith("sum by (level)")) return loki({ resultType: "matrix", result: [] });
    return loki({
      resultType: "streams",
      result: [
        {
          stream: { service_name: "cart", level: "error" },
          values: [
            [
              "1700000000000000000",
              "card declined",
              { structuredMetadata: { trace_id: "ab", span_id: "cd" } },
            ],
          ],
        },
      ],
    });
  });
  await act(async () => renderPage(`?q=${encodeURIComponent('{service_name=~".+"} |= "declined"')}`));
  expect(screen.getByText("LogQL")).toBeTruthy();
  expect(await screen.findByText("card declined")).toBeTruthy();
  expect(screen.getByText("trace").closest("a")?.getAttribute("href")).toBe("/trace/ab?span=cd");
  const lines = urls.find((u) => u.searchParams.get("direction") === "backward")!;
  expect(lines.pathname).toBe("/loki/api/v1/query_range");
  expect(screen.getByLabelText("0 matching lines")).toBeTruthy();

  const services = screen.getByRole("region", { name: "Service" });
  await act(async () => fireEvent.click(within(services).getByText("cart")));
  const queries = urls.map((u) => u.searchParams.get("query"));
  expect(queries).toContain('{service_name=~".+", service_name="cart"} |= "declined"');
  expect(screen.getByRole("button", { name: "Remove filter service = cart" })).toBeTruthy();
});

test("a LogQL metric query draws its series; Loki's errors are shown", async () => {
  serve((url) => {
    const query = url.searchParams.get("query") ?? "";
    if (query.startsWith("rate(")) {
      return new Response("parse error at line 1, col 6: unexpected end of input\n", {
        status: 400,
        statusText: "Bad Request",
      });
    }
    return loki({
      resultType: "matrix",
      result: [{ metric: { level: "error" }, values: [[1_700_000_000, "2"]] }],
    });
  });
  await act(async () =>
    renderPage(`?q=${encodeURIComponent('sum by (level) (rate({service_name="x"}[1m]))')}`),
  );
  expect(screen.getByText("LogQL metric")).toBeTruthy();
  expect(await screen.findByText('{"level":"error"}')).toBeTruthy();
  expect(screen.queryByRole("complementary", { name: "Facets" })).toBeNull();

  fireEvent.change(screen.getByLabelText("Search", { exact: true }), {
    target: { value: "rate({a=" },
  });
  expect(screen.getByText("LogQL metric")).toBeTruthy();
  await act(async () => fireEvent.click(screen.getByRole("button", { name: "Search" })));
  expect((await screen.findByRole("alert")).textContent).toBe(
    "400 Bad Request: parse error at line 1, col 6: unexpected end of input",
  );
});
