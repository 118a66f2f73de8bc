import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router-dom";

import type { WaterfallSpan } from "../../api";
import type { SpanDetails } from "../../api/trace";
import { TracePage, ticks } from "../../pages/Trace";
import { Minimap } from "./Minimap";
import { SpanDetailsView } from "./SpanDetailsPanel";
import { TraceLogList, offset } from "./TraceLogs";
import { WaterfallRow } from "./WaterfallRow";
import { formatNanos } from "./format";

const SPAN: WaterfallSpan = {
  spanID: "00000000000000aa",
  parentSpanID: null,
  name: "GET /cart",
  serviceName: "frontend",
  kind: "server",
  status: "error",
  startTimeUnixNano: "1000000000",
  durationNanos: "100000000",
  depth: 0,
  childCount: 1,
  expanded: true,
  critical: true,
  criticalSegments: [
    [0, 10_000_000],
    [90_000_000, 100_000_000],
  ],
};

const DETAILS: SpanDetails = {
  traceID: "0af7651916cd43dd8448eb211c80319c",
  spanID: "00000000000000aa",
  parentSpanID: "00000000000000a0",
  name: "GET /cart",
  kind: "server",
  startTimeUnixNano: "1005000000",
  endTimeUnixNano: "1105000000",
  durationNanos: "100000000",
  traceState: "",
  status: { code: "error", message: "upstream gone" },
  resource: { attributes: [{ key: "service.name", value: "frontend", type: "string" }], schemaUrl: "" },
  scope: { name: "cart-lib", version: "1.2.0", attributes: [] },
  attributes: [{ key: "http.status_code", value: "503", type: "int" }],
  droppedAttributesCount: 0,
  events: [
    {
      timeUnixNano: "1005000007",
      offsetNanos: "7000",
      name: "exception",
      attributes: [{ key: "exception.message", value: "boom", type: "string" }],
    },
  ],
  droppedEventsCount: 0,
  links: [{ traceID: "ff".repeat(16), spanID: "01".repeat(8), traceState: "", attributes: [] }],
  droppedLinksCount: 0,
};

test("durations and offsets read like people say them", () => {
  expect(formatNanos(850)).toBe("850 ns");
  expect(formatNanos(12_500)).toBe("12.5 µs");
  expect(formatNanos(3_200_000)).toBe("3.2 ms");
  expect(formatNanos(1_250_000_000)).toBe("1.25 s");
  expect(formatNanos(125_000_000_000)).toBe("2 min 5 s");
  expect(ticks(100_000_000)).toEqual(["0 ns", "25 ms", "50 ms", "75 ms", "100 ms"]);
  expect(offset(-3_000_000)).toBe("-3 ms");
  expect(offset(1_200_000)).toBe("+1.2 ms");
});

test("a row marks errors, draws its critical-path time and selects on click", () => {
  const selected: string[] = [];
  const toggled: string[] = [];
  const { container } = render(
    <WaterfallRow
      span={SPAN}
      traceStart={1_000_000_000n}
      traceEnd={1_100_000_000n}
      showCritical
      selected={false}
      matched
      onToggle={(id) => toggled.push(id)}
      onSelect={(id) => selected.push(id)}
    />,
  );
  const row = container.querySelector(".span-row");
  expect(row?.className).toContain("error");
  expect(row?.className).toContain("critical");
  expect(row?.className).toContain("matched");
  const segments = container.querySelectorAll<HTMLElement>(".critical-segment");
  expect(segments.length).toBe(2);
  expect(segments[1].style.left).toBe("90%");
  expect(segments[1].style.width).toBe("10%");
  expect(screen.getByText("100 ms")).toBeTruthy();
  fireEvent.click(screen.getByText("GET /cart"));
  fireEvent.click(screen.getByLabelText("Collapse GET /cart"));
  expect(selected).toEqual(["00000000000000aa"]);
  expect(toggled).toEqual(["00000000000000aa"]);
});

test("without the critical path toggle no segments are drawn", () => {
  const { container } = render(
    <WaterfallRow
      span={SPAN}
      traceStart={1_000_000_000n}
      traceEnd={1_100_000_000n}
      showCritical={false}
      selected
      matched={false}
      onToggle={() => {}}
      onSelect={() => {}}
    />,
  );
  expect(container.querySelectorAll(".critical-segment").length).toBe(0);
  expect(container.querySelector(".span-row")?.className).toContain("selected");
});

test("the minimap draws one bar per overview entry and frames the rows on screen", () => {
  const jumps: number[] = [];
  const { container } = render(
    <Minimap
      bars={[
        { row: 0, rows: 2, startNanos: 0, endNanos: 100, error: false, critical: true },
        { row: 2, rows: 2, startNanos: 50, endNanos: 60, error: true, critical: false },
      ]}
      rowCount={4}
      totalNanos={100}
      firstRow={2}
      lastRow={3}
      onJump={(row) => jumps.push(row)}
    />,
  );
  const bars = container.querySelectorAll<HTMLElement>(".minimap-bar");
  expect(bars.length).toBe(2);
  expect(bars[0].className).not.toContain("error");
  expect(bars[1].className).toContain("error");
  expect(bars[1].style.left).toBe("50%");
  const view = container.querySelector<HTMLElement>(".minimap-view");
  expect(view?.style.top).toBe("50%");
  fireEvent.click(container.querySelector(".minimap")!);
  expect(jumps).toEqual([0]);
});

test("span details show status, attributes by scope, events and links", () => {
  render(
    <MemoryRouter>
      <SpanDetailsView span={DETAILS} traceStart={1_000_000_000n} />
    </MemoryRouter>,
  );
  expect(screen.getByText("error: upstream gone")).toBeTruthy();
  expect(screen.getByText("Span attributes")).toBeTruthy();
  expect(screen.getByText("http.status_code")).toBeTruthy();
  expect(screen.getByText("503")).toBeTruthy();
  expect(screen.getByText("Resource attributes")).toBeTruthy();
  expect(screen.getByText("Scope cart-lib 1.2.0")).toBeTruthy();
  expect(screen.getByText("+7 µs exception")).toBeTruthy();
  expect(screen.getByText("boom")).toBeTruthy();
  const link = screen.getByText(`${"ff".repeat(16)}/${"01".repeat(8)}`).closest("a");
  expect(link?.getAttribute("href")).toBe(`/trace/${"ff".repeat(16)}?span=${"01".repeat(8)}`);
  expect(screen.getByText("+5 ms", { exact: false })).toBeTruthy();
});

test("trace logs list lines with their offset and select their span", () => {
  const spans: string[] = [];
  render(
    <TraceLogList
      traceStart={1_000_000_000n}
      onSelectSpan={(id) => spans.push(id)}
      lines={[
        {
          time: "1002000000",
          timestamp: "",
          line: "payment declined",
          service: "payments",
          level: "error",
          traceId: DETAILS.traceID,
          spanId: "00000000000000bb",
          labels: {},
          metadata: {},
        },
      ]}
    />,
  );
  expect(screen.getByText("+2 ms")).toBeTruthy();
  fireEvent.click(screen.getByText("00000000000000bb"));
  expect(spans).toEqual(["00000000000000bb"]);
});

test("the page loads the waterfall, opens ?span= details and finds spans", async () => {
  const calls: { url: string; body?: Record<string, unknown> }[] = [];
  vi.stubGlobal("fetch", async (url: string, init?: RequestInit) => {
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined;
    calls.push({ url, body });
    const reply = (value: unknown) => new Response(JSON.stringify(value), { status: 200 });
    if (url.includes("/waterfall")) {
      return reply({
        traceID: DETAILS.traceID,
        spanCount: 1,
        visibleCount: 1,
        offset: 0,
        startTimeUnixNano: "1000000000",
        endTimeUnixNano: "1100000000",
        criticalSpanCount: 1,
        spans: [SPAN],
        overview: [{ row: 0, rows: 1, startNanos: 0, endNanos: 100_000_000, error: true, critical: true }],
        ...(body?.search ? { search: { rows: [0], total: 3, hidden: 2 } } : {}),
        ...(body?.locate ? { located: { row: 0, ancestors: [] } } : {}),
      });
    }
    if (url.includes("/spans/")) return reply(DETAILS);
    if (url.includes("/logs")) return reply({ lines: [] });
    return new Response("", { status: 404 });
  });
  render(
    <MemoryRouter initialEntries={[`/trace/${DETAILS.traceID}?span=00000000000000aa`]}>
      <Routes>
        <Route path="/trace/:traceId" element={<TracePage />} />
      </Routes>
    </MemoryRouter>,
  );
  await screen.findByText("1 spans · 100 ms · 1 on the critical path ·", { exact: false });
  await screen.findByText("error: upstream gone");
  expect(await screen.findByText("No log lines carry this trace's id.")).toBeTruthy();
  expect(calls.some((c) => c.body?.locate === "00000000000000aa")).toBe(true);
  expect(calls[0].body?.overview).toBe(400);
  fireEvent.change(screen.getByLabelText("Find in trace"), { target: { value: "cart" } });
  fireEvent.click(screen.getByText("Find"));
  await screen.findByText("1 of 1 · 2 in folded spans");
  fireEvent.click(screen.getByLabelText("Close details"));
  await waitFor(() => expect(screen.queryByLabelText("Span details")).toBeNull());
  vi.unstubAllGlobals();
});

test("a trace whose spans are not stored still lists its logs", async () => {
  vi.stubGlobal("fetch", async (url: string) => {
    if (url.includes("/waterfall")) return new Response("trace not found", { status: 404 });
    if (url.includes("/logs")) {
      return new Response(
        JSON.stringify({
          lines: [
            {
              time: "1700000000000000000",
              timestamp: "",
              line: "charge declined",
              service: "payments",
              level: "error",
              traceId: DETAILS.traceID,
              spanId: "00000000000000bb",
              labels: {},
              metadata: {},
            },
          ],
        }),
        { status: 200 },
      );
    }
    return new Response("", { status: 404 });
  });
  render(
    <MemoryRouter initialEntries={[`/trace/${DETAILS.traceID}?span=00000000000000bb`]}>
      <Routes>
        <Route path="/trace/:traceId" element={<TracePage />} />
      </Routes>
    </MemoryRouter>,
  );
  await screen.findByText(`No span of trace ${DETAILS.traceID} is stored.`, { exact: false });
  await screen.findByText("charge declined");
  expect(screen.getByText("Time")).toBeTruthy();
  expect(screen.getByText("00000000000000bb").closest("button")).toBeNull();
  vi.unstubAllGlobals();
});
