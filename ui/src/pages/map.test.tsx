import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router-dom";

import type { MapEdge, MapNode } from "../api";
import { matrix, stubFetch, withoutCanvas } from "../api/promMock";
import { MapDrawing, ServiceMapPage, formatRate, layout } from "./ServiceMap";

const latency = { p50: 0.01, p95: 0.05, p99: 0.1 };
const node = (id: string, kind: MapNode["kind"], errorRate = 0): MapNode => ({
  id,
  name: id,
  kind,
  requests: 10,
  requestRate: 0.5,
  errors: errorRate > 0 ? 1 : 0,
  errorRate,
  latencySeconds: latency,
});
const edge = (source: string, target: string): MapEdge => ({
  source,
  target,
  connectionType: "unset",
  requests: 10,
  requestRate: 0.5,
  failed: 0,
  errorRate: 0,
  latencySeconds: latency,
});

test("rates read like people say them", () => {
  expect(formatRate(0)).toBe("0/s");
  expect(formatRate(0.001)).toBe("<0.01/s");
  expect(formatRate(0.123)).toBe("0.12/s");
  expect(formatRate(3.45)).toBe("3.5/s");
  expect(formatRate(120.4)).toBe("120/s");
});

test("callers are laid out left of callees, and names are SVG text", async () => {
  const nodes = [node("user", "virtual"), node("web", "service"), node("orders", "service", 0.25), node("shop", "database")];
  const edges = [edge("user", "web"), edge("web", "orders"), edge("orders", "shop")];
  const drawing = await layout(nodes, edges);
  const x = (id: string) => drawing.nodes.find((n) => n.node.id === id)!.x;
  expect(x("user")).toBeLessThan(x("web"));
  expect(x("web")).toBeLessThan(x("orders"));
  expect(x("orders")).toBeLessThan(x("shop"));
  expect(drawing.edges.every((e) => e.points.length >= 2)).toBe(true);
  const { container } = render(<MapDrawing drawing={drawing} />);
  expect(screen.getByText("orders")).toBeTruthy();
  expect(screen.getByText("0.50/s · 25.0% errors")).toBeTruthy();
  expect(container.querySelector("ellipse")).toBeTruthy();
  expect(container.querySelector("polygon")).toBeNull();
  expect(container.querySelectorAll(".map-node.failing").length).toBe(1);
});

test("a service node opens a side panel with its stats, RED charts and links", async () => {
  withoutCanvas();
  const nodes = [node("user", "virtual"), node("web", "service"), node("orders", "service", 0.25), node("shop", "database")];
  const edges = [edge("user", "web"), edge("web", "orders"), edge("orders", "shop")];
  const calls = stubFetch(({ path, params }) => {
    if (path === "/api/ui/service-map") return { nodes, edges };
    const start = Number(params.get("start"));
    return (params.get("query") ?? "").includes("histogram_quantile")
      ? matrix([[{ quantile: "0.95" }, [[start, 0.05], [start + 18, 0.06]]]])
      : matrix([[{ status_code: "STATUS_CODE_OK" }, [[start, 2], [start + 18, 3]]]]);
  });
  const { container } = render(
    <MemoryRouter initialEntries={["/service-map?since=3600"]}>
      <Routes>
        <Route path="/service-map" element={<ServiceMapPage />} />
      </Routes>
    </MemoryRouter>,
  );
  // Only services are buttons; names stay SVG text and the list of trace links stays.
  const orders = await screen.findByRole("button", { name: /^orders: 0.50\/s, 25.0% errors/ });
  expect(screen.getAllByRole("button").filter((b) => b.classList.contains("map-node"))).toHaveLength(2);
  expect(container.querySelector("svg.service-map .map-node text")).toBeTruthy();
  expect(container.querySelectorAll("ul.map-links li")).toHaveLength(2);
  expect(screen.queryByRole("complementary")).toBeNull();

  fireEvent.click(orders);
  const panel = await screen.findByRole("complementary", { name: "Service orders" });
  expect(orders.getAttribute("aria-pressed")).toBe("true");
  expect(within(panel).getByRole("heading", { name: "orders" })).toBeTruthy();
  expect(within(panel).getByText("Called by")).toBeTruthy();
  expect(within(panel).getByText("web")).toBeTruthy();
  expect(within(panel).getByText("shop")).toBeTruthy();
  expect(within(panel).getByText("25% (1)")).toBeTruthy();
  expect(within(panel).getByRole("link", { name: "Open in Services" }).getAttribute("href")).toBe(
    "/services?service=orders&since=3600",
  );
  const traces = within(panel).getByRole("link", { name: "Traces of orders" }).getAttribute("href")!;
  expect(new URL(traces, "http://x").searchParams.get("q")).toBe('{ resource.service.name = "orders" }');
  await waitFor(() => expect(panel.querySelectorAll(".red-chart svg").length).toBe(3));
  expect([...panel.querySelectorAll("svg text")].some((t) => t.textContent === "p95")).toBe(true);
  const ranged = calls.filter((c) => c.path === "/api/v1/query_range");
  expect(ranged[0].params.get("query")).toContain('service="orders"');

  // Enter on another node switches the panel; Escape closes it.
  fireEvent.keyDown(screen.getByRole("button", { name: /^web:/ }), { key: "Enter" });
  const web = await screen.findByRole("complementary", { name: "Service web" });
  fireEvent.keyDown(within(web).getByRole("heading", { name: "web" }), { key: "Escape" });
  await waitFor(() => expect(screen.queryByRole("complementary")).toBeNull());
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

test("queues are drawn as queues", async () => {
  const nodes = [node("orders", "service"), node("kafka", "queue")];
  const drawing = await layout(nodes, [{ ...edge("orders", "kafka"), connectionType: "messaging_system" }]);
  const { container } = render(<MapDrawing drawing={drawing} />);
  expect(container.querySelector(".map-node.queue polygon")).toBeTruthy();
  expect(screen.getByText("queue · 0.50/s")).toBeTruthy();
});
