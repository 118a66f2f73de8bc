// The Services page against a fake Prometheus API: the table, the detail view with its charts
// (real SVG text from ECharts), the top operations and the links to traces and logs.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router-dom";

import { type Call, matrix, promError, stubFetch, vector, withoutCanvas } from "../api/promMock";
import { ServicesPage } from "./Services";

const OK = "STATUS_CODE_OK";
const ERROR = "STATUS_CODE_ERROR";

/** Answers like a Sightline holding span metrics of `web` and `batch`. */
function prometheus({ path, params }: Call) {
  const query = params.get("query") ?? "";
  if (path === "/api/v1/query_range") {
    const start = Number(params.get("start"));
    const at = (i: number) => start + 18 * i;
    if (query.includes("histogram_quantile")) {
      return matrix([
        [{ quantile: "0.5" }, [[at(0), 0.01], [at(1), 0.012]]],
        [{ quantile: "0.95" }, [[at(0), 0.2], [at(1), 0.25]]],
        [{ quantile: "0.99" }, [[at(0), 0.4], [at(1), 0.5]]],
      ]);
    }
    return matrix([
      [{ status_code: OK }, [[at(0), 3], [at(1), 4]]],
      [{ status_code: ERROR }, [[at(0), 1]]],
    ]);
  }
  if (query.includes("span_name")) {
    if (query.startsWith("histogram_quantile")) {
      return vector([[{ span_name: "GET /cart", span_kind: "SPAN_KIND_SERVER" }, 0.05]]);
    }
    return vector([
      [{ span_name: "GET /cart", span_kind: "SPAN_KIND_SERVER", status_code: OK }, 3],
      [{ span_name: "GET /cart", span_kind: "SPAN_KIND_SERVER", status_code: ERROR }, 1],
      [{ span_name: "SELECT cart", span_kind: "SPAN_KIND_CLIENT", status_code: OK }, 0.25],
    ]);
  }
  if (query.startsWith("label_replace(histogram_quantile")) {
    return vector([
      [{ service: "web", quantile: "0.5" }, 0.012],
      [{ service: "web", quantile: "0.95" }, 0.25],
      [{ service: "web", quantile: "0.99" }, 1.5],
    ]);
  }
  return vector([
    [{ service: "web", status_code: OK }, 3],
    [{ service: "web", status_code: ERROR }, 1],
    [{ service: "batch", status_code: OK, span_kinds: "all" }, 0.0123],
  ]);
}

function renderAt(url: string) {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/services" element={<ServicesPage />} />
      </Routes>
    </MemoryRouter>,
  );
}

beforeEach(() => withoutCanvas());
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

test("the table lists every service with rate, errors and percentiles", async () => {
  const calls = stubFetch(prometheus);
  renderAt("/services?since=3600");
  const web = await screen.findByRole("link", { name: "web" });
  expect(web.getAttribute("href")).toBe("/services?service=web&since=3600");
  const row = (name: string) => screen.getByRole("link", { name }).closest("tr")!;
  expect(within(row("web")).getByText("4/s")).toBeTruthy();
  expect(within(row("web")).getByText("25%").className).toContain("failing");
  expect(within(row("web")).getByText("12 ms")).toBeTruthy();
  expect(within(row("web")).getByText("250 ms")).toBeTruthy();
  expect(within(row("web")).getByText("1.5 s")).toBeTruthy();
  expect(within(row("batch")).getByText("0.0123/s")).toBeTruthy();
  expect(within(row("batch")).getByText("all spans")).toBeTruthy();
  expect(calls.every((c) => c.path === "/api/v1/query")).toBe(true);
  expect(calls[0].params.get("query")).toContain("rate(traces_spanmetrics_calls_total{span_kind=~");
  expect(calls[0].params.get("query")).toContain("[3600s]");

  // Sorted by name; a header sorts by its column, busiest first.
  const names = () => screen.getAllByRole("row").slice(1).map((r) => r.querySelector("a")!.textContent);
  expect(names()).toEqual(["batch", "web"]);
  fireEvent.click(screen.getByRole("button", { name: "Requests" }));
  expect(names()).toEqual(["web", "batch"]);
  fireEvent.click(screen.getByRole("button", { name: /Requests/ }));
  expect(names()).toEqual(["batch", "web"]);
});

test("no span metrics in the range says so", async () => {
  stubFetch(() => vector([]));
  renderAt("/services");
  expect(await screen.findByText(/No span metrics in this time range/)).toBeTruthy();
});

test("a failing query shows its error", async () => {
  stubFetch(() => promError("query timed out", 503));
  renderAt("/services");
  expect((await screen.findByRole("alert")).textContent).toBe("query timed out");
});

test("a service shows its figures, RED charts, top operations and links", async () => {
  const calls = stubFetch(prometheus);
  const { container } = renderAt("/services?service=web&since=3600");
  expect(await screen.findByRole("heading", { name: "web" })).toBeTruthy();
  expect(screen.getByRole("link", { name: "← All services" }).getAttribute("href")).toBe("/services?since=3600");
  const traces = new URL(screen.getByRole("link", { name: "Traces of web" }).getAttribute("href")!, "http://x");
  expect(traces.pathname).toBe("/traces");
  expect(traces.searchParams.get("q")).toBe('{ resource.service.name = "web" }');
  expect(traces.searchParams.get("since")).toBe("3600");
  expect(screen.getByRole("link", { name: "Logs of web" }).getAttribute("href")).toBe(
    "/logs?q=service%3Aweb&since=3600",
  );

  // The charts: ECharts' SVG with the legend and y axis labels as text, in the charts' units.
  await waitFor(() => expect(container.querySelectorAll(".red-chart svg").length).toBe(3));
  const chartText = (title: string) =>
    [...screen.getByRole("img", { name: `${title} over time` }).querySelectorAll("svg text")].map(
      (t) => t.textContent,
    );
  expect(chartText("Duration (p50, p95, p99)")).toEqual(expect.arrayContaining(["p50", "p95", "p99"]));
  expect(chartText("Duration (p50, p95, p99)").some((t) => t?.endsWith(" ms"))).toBe(true);
  expect(chartText("Rate (req/s)").some((t) => t?.endsWith("/s"))).toBe(true);
  expect(chartText("Errors (% of requests)").some((t) => t?.endsWith("%"))).toBe(true);
  const ranges = calls.filter((c) => c.path === "/api/v1/query_range");
  expect(ranges).toHaveLength(2);
  expect(ranges[0].params.get("query")).toContain("[72s]");

  // Top operations: busiest first, each linking to its traces in the same range.
  const cart = await screen.findByRole("link", { name: "GET /cart" });
  const q = new URL(cart.getAttribute("href")!, "http://x").searchParams;
  expect(q.get("q")).toBe('{ resource.service.name = "web" && name = "GET /cart" }');
  expect(q.get("since")).toBe("3600");
  const rows = within(cart.closest("table")!).getAllByRole("row").slice(1);
  expect(rows.map((r) => r.querySelector("a")!.textContent)).toEqual(["GET /cart", "SELECT cart"]);
  expect(within(rows[0]).getByText("25%")).toBeTruthy();
  expect(within(rows[0]).getByText("50 ms")).toBeTruthy();
  expect(within(rows[1]).getByText("client")).toBeTruthy();
});

test("a service without span metrics in the range says so", async () => {
  stubFetch(prometheus);
  renderAt("/services?service=ghost&since=900");
  expect(await screen.findByText("No span metrics for ghost in this time range.")).toBeTruthy();
});
