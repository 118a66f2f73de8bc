import { render, screen } from "@testing-library/react";

import type { MapEdge, MapNode } from "../api";
import { MapDrawing, formatRate, layout } from "./ServiceMap";

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
  expect(container.querySelectorAll(".map-node.failing").length).toBe(1);
});
