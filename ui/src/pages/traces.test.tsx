// Tests of the Traces page: the search form, the TraceQL box it writes into, the URL and the
// result columns (span and error counts, services). fetch is mocked with Tempo-shaped answers.
import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { MemoryRouter, useLocation } from "react-router-dom";

import { TraceTable, TracesPage, traceStats } from "./Traces";

// The chart library is not needed here.
vi.mock("../components/TraceScatter", () => ({ default: () => <div className="scatter" /> }));

const trace = {
  traceID: "0af7651916cd43dd8448eb211c80319c",
  rootServiceName: "frontend",
  rootTraceName: "GET /checkout",
  startTimeUnixNano: "1700000000000000000",
  durationMs: 1250,
  serviceStats: {
    frontend: { spanCount: 3 },
    checkout: { spanCount: 4, errorCount: 2 },
    cart: { spanCount: 1, errorCount: 0 },
  },
};

const requests: URL[] = [];

/** Tempo's answers by path; span names depend on the service in `q`. */
function tempo(url: URL): unknown {
  const path = url.pathname;
  const strings = (values: string[]) => ({
    tagValues: values.map((value) => ({ type: "string", value })),
  });
  if (path === "/api/search") return { traces: [trace] };
  if (path === "/api/v2/search/tags") {
    const scope = url.searchParams.get("scope");
    const tags = scope === "span" ? ["http.route"] : ["service.name"];
    return { scopes: [{ name: scope, tags }] };
  }
  if (path.endsWith("/resource.service.name/values")) return strings(["frontend", "checkout"]);
  if (path.endsWith("/name/values")) {
    const q = url.searchParams.get("q") ?? "";
    return strings(q.includes('"checkout"') ? ["GET /cart", "POST /pay"] : ["GET /", "GET /cart"]);
  }
  if (path.endsWith("/span.http.route/values")) return strings(["/cart", "/pay"]);
  return { tagValues: [] };
}

beforeEach(() => {
  requests.length = 0;
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string) => {
      const url = new URL(input, "http://sightline");
      requests.push(url);
      return new Response(JSON.stringify(tempo(url)));
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

function Location() {
  const location = useLocation();
  return <output data-testid="location">{location.search}</output>;
}

async function renderPage(url = "/traces") {
  render(
    <MemoryRouter initialEntries={[url]}>
      <TracesPage />
      <Location />
    </MemoryRouter>,
  );
  await screen.findByText(trace.traceID);
}

const searchedQuery = () =>
  new URLSearchParams(screen.getByTestId("location").textContent ?? "").get("q");
const box = () => screen.getByLabelText("TraceQL") as HTMLInputElement;
const change = (element: HTMLElement, value: string) =>
  act(async () => {
    fireEvent.change(element, { target: { value } });
  });

test("the form builds the TraceQL query and searches it", async () => {
  await renderPage();
  expect(screen.getByRole("tab", { name: "Search" }).getAttribute("aria-selected")).toBe("true");
  const service = screen.getByLabelText(/^Service/);
  await within(service).findByRole("option", { name: "checkout" });
  await change(service, "checkout");
  expect(box().value).toBe('{ resource.service.name = "checkout" }');
  // Span names narrow to the service.
  const spanName = screen.getByLabelText(/^Span name/);
  await within(spanName).findByRole("option", { name: "POST /pay" });
  const narrowed = requests.filter((u) => u.pathname.endsWith("/name/values")).at(-1);
  expect(narrowed?.searchParams.get("q")).toBe('{ resource.service.name = "checkout" }');
  expect(narrowed?.searchParams.get("start")).toMatch(/^\d+$/);
  await change(spanName, "POST /pay");

  fireEvent.click(screen.getByRole("button", { name: "+ Add attribute condition" }));
  await change(screen.getByLabelText("Attribute"), "span.http.route");
  await change(screen.getByLabelText("Value"), "/pay");
  await change(screen.getByLabelText("Min duration"), "100ms");
  const expected =
    '{ resource.service.name = "checkout" && name = "POST /pay" && span.http.route = "/pay" && duration > 100ms }';
  expect(box().value).toBe(expected);

  await act(async () => fireEvent.click(screen.getByRole("button", { name: "Search" })));
  expect(searchedQuery()).toBe(expected);
  const search = requests.filter((u) => u.pathname === "/api/search").at(-1);
  expect(search?.searchParams.get("q")).toBe(expected);
});

test("attribute names and values are suggested", async () => {
  await renderPage();
  fireEvent.click(screen.getByRole("button", { name: "+ Add attribute condition" }));
  const attribute = screen.getByLabelText("Attribute") as HTMLInputElement;
  const keys = document.getElementById(attribute.getAttribute("list")!)!;
  expect([...keys.querySelectorAll("option")].map((o) => o.value)).toContain("span.http.route");
  await change(attribute, "span.http.route");
  const value = screen.getByLabelText("Value") as HTMLInputElement;
  await act(async () => fireEvent.focus(value));
  const values = document.getElementById(value.getAttribute("list")!)!;
  expect([...values.querySelectorAll("option")].map((o) => o.value)).toEqual(["/cart", "/pay"]);
  fireEvent.click(screen.getByRole("button", { name: "Remove condition 1" }));
  expect(screen.queryByLabelText("Attribute")).toBeNull();
});

test("a bad duration is explained and blocks the search", async () => {
  await renderPage();
  const min = screen.getByLabelText("Min duration");
  await change(min, "100");
  fireEvent.blur(min);
  expect(screen.getByRole("alert").textContent).toBe("Min duration: Use a number and a unit, like 100ms, 1.5s or 2m.");
  expect(min.getAttribute("aria-invalid")).toBe("true");
  await change(screen.getByLabelText("Max duration"), "50ms");
  await change(min, "1s");
  fireEvent.click(screen.getByRole("button", { name: "Search" }));
  expect(screen.getByText("Max duration: Must be longer than the min duration.")).toBeTruthy();
  expect(screen.getByText("Fix the highlighted fields to search.")).toBeTruthy();
  expect(searchedQuery()).toBeNull();
});

test("typing in the TraceQL box updates the form, and searches what was typed", async () => {
  await renderPage();
  await change(box(), '{ resource.service.name = "frontend" && status = error }');
  expect((screen.getByLabelText(/^Service/) as HTMLSelectElement).value).toBe("frontend");
  expect((screen.getByLabelText("Attribute") as HTMLInputElement).value).toBe("status");
  await change(box(), '{ status = error } && { resource.service.name = "cart" }');
  expect(screen.getByText(/goes beyond what the form can show/)).toBeTruthy();
  await act(async () => fireEvent.click(screen.getByRole("button", { name: "Search" })));
  expect(searchedQuery()).toBe('{ status = error } && { resource.service.name = "cart" }');
});

test("the TraceQL tab shows the box alone; a query the form can't show opens there", async () => {
  await renderPage(`/traces?q=${encodeURIComponent("{ status = error || kind = server }")}`);
  expect(screen.getByRole("tab", { name: "TraceQL" }).getAttribute("aria-selected")).toBe("true");
  expect(screen.queryByLabelText(/^Service/)).toBeNull();
  expect(box().value).toBe("{ status = error || kind = server }");
  fireEvent.click(screen.getByRole("tab", { name: "Search" }));
  expect(screen.getByLabelText(/^Service/)).toBeTruthy();
  expect(screen.getByText(/goes beyond what the form can show/)).toBeTruthy();
  fireEvent.click(screen.getByRole("tab", { name: "TraceQL" }));
  expect(screen.queryByLabelText(/^Service/)).toBeNull();
});

test("a searched query from the URL fills the form", async () => {
  const q = '{ resource.service.name = "checkout" && duration > 1.5s && duration < 2m }';
  await renderPage(`/traces?q=${encodeURIComponent(q)}&since=900`);
  expect(box().value).toBe(q);
  expect((screen.getByLabelText("Min duration") as HTMLInputElement).value).toBe("1.5s");
  expect((screen.getByLabelText("Max duration") as HTMLInputElement).value).toBe("2m");
  const tags = requests.find((u) => u.pathname === "/api/v2/search/tags")!;
  const start = Number(tags.searchParams.get("start"));
  expect(Number(tags.searchParams.get("end")) - start).toBe(900);
});

test("the list shows span and error counts and the services involved", () => {
  render(
    <MemoryRouter>
      <TraceTable traces={[trace, { ...trace, traceID: "ab", serviceStats: undefined }]} />
    </MemoryRouter>,
  );
  const [, first, second] = screen.getAllByRole("row");
  const cells = within(first).getAllByRole("cell").map((c) => c.textContent);
  expect(cells.slice(4, 7)).toEqual(["8", "2", "cart, checkout, frontend"]);
  expect(within(first).getAllByRole("cell")[5].className).toContain("has-errors");
  expect(within(second).getAllByRole("cell").slice(4, 7).map((c) => c.textContent)).toEqual(["", "", ""]);
  expect(screen.getByText(trace.traceID).closest("a")?.getAttribute("href")).toBe(`/trace/${trace.traceID}`);
  expect(screen.getAllByRole("columnheader").map((h) => h.textContent)).toEqual([
    "Root service", "Root span", "Start", "Duration", "Spans", "Errors", "Services", "Trace",
  ]);
});

test("trace stats sum the services' spans and errors", () => {
  expect(traceStats(trace)).toEqual({ spans: 8, errors: 2, services: ["cart", "checkout", "frontend"] });
  expect(traceStats({ ...trace, serviceStats: { a: { spanCount: 1 } } })?.errors).toBe(0);
  expect(traceStats({ ...trace, serviceStats: undefined })).toBeNull();
});
