// The service map: the service graph of the chosen range, laid out left to right by ELK and
// drawn as SVG, so names and numbers are real text. Nodes show request rate, error rate and
// p95; edges show calls per second and p95 in labels ELK places clear of each other; databases,
// queues and virtual callers have their own shapes. A service node opens a side panel (ServicePanel: its RED charts over time, its stats
// and callers/callees from the map, links to its traces and its Services page), kept in the URL
// as `service=`; the list under the map links each service's traces.
import { useEffect, useState } from "react";
import ELK, { type ElkNode } from "elkjs/lib/elk.bundled.js";
import { Link, useSearchParams } from "react-router-dom";

import { type MapEdge, type MapNode, serviceMap } from "../api";
import { RangeSelect } from "../components/RangeSelect";
import { ServicePanel } from "../components/ServicePanel";
import { tracesLink } from "../components/serviceLinks";
import { formatSeconds } from "../components/units";
import {
  type TimeRange,
  rangeFromParams,
  rangeKey,
  rangeParams,
  resolveRange,
} from "../timeRange";
import { Empty, ErrorBox, Loading } from "../components/Status";
import "../components/services.css";
import { useLoad } from "../useLoad";

const NODE_WIDTH = 170;
const NODE_HEIGHT = 62;

/** Positioned nodes, edge routes and edge labels (top-left corner and size). */
export interface Layout {
  width: number;
  height: number;
  nodes: { node: MapNode; x: number; y: number }[];
  edges: {
    edge: MapEdge;
    points: { x: number; y: number }[];
    label?: { x: number; y: number; width: number; height: number };
  }[];
}

/** Height of an edge label's line and the width of one of its characters (11px text). */
const LABEL_LINE_HEIGHT = 13;
const LABEL_CHAR_WIDTH = 6.2;

/** An edge's label, line by line: calls per second, then p95 (when known). */
export function edgeLabelLines(edge: MapEdge): string[] {
  const p95 = edge.latencySeconds.p95;
  const rate = formatRate(edge.requestRate);
  return p95 === null ? [rate] : [rate, `p95 ${formatSeconds(p95)}`];
}

/** Lays the graph out left to right (callers before callees). */
export async function layout(nodes: MapNode[], edges: MapEdge[]): Promise<Layout> {
  const elk = new ELK();
  const input: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.spacing.nodeNode": "30",
      "elk.layered.spacing.nodeNodeBetweenLayers": "40",
      "elk.edgeRouting": "POLYLINE",
      "elk.edgeLabels.placement": "CENTER",
      "elk.spacing.edgeLabel": "2",
    },
    children: nodes.map((n) => ({ id: n.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: edges.map((e, i) => {
      const lines = edgeLabelLines(e);
      const longest = Math.max(...lines.map((line) => line.length));
      return {
        id: `e${i}`,
        sources: [e.source],
        targets: [e.target],
        labels: [
          {
            id: `l${i}`,
            text: lines.join(" "),
            width: longest * LABEL_CHAR_WIDTH,
            height: lines.length * LABEL_LINE_HEIGHT,
          },
        ],
      };
    }),
  };
  const graph = await elk.layout(input);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return {
    width: (graph.width ?? 0) + 20,
    height: (graph.height ?? 0) + 20,
    nodes: (graph.children ?? []).map((c) => ({ node: byId.get(c.id)!, x: c.x ?? 0, y: c.y ?? 0 })),
    edges: (graph.edges ?? []).map((e, i) => {
      const section = e.sections?.[0];
      const points = section
        ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]
        : [];
      const placed = e.labels?.[0];
      const label =
        placed && placed.x !== undefined && placed.y !== undefined
          ? { x: placed.x, y: placed.y, width: placed.width ?? 0, height: placed.height ?? 0 }
          : undefined;
      return { edge: edges[i], points, label };
    }),
  };
}

/** A rate as people read it: 0.12/s, 3.4/s, 120/s. */
export function formatRate(perSecond: number): string {
  if (perSecond === 0) return "0/s";
  if (perSecond < 0.01) return "<0.01/s";
  if (perSecond < 1) return `${perSecond.toFixed(2)}/s`;
  if (perSecond < 10) return `${perSecond.toFixed(1)}/s`;
  return `${Math.round(perSecond)}/s`;
}

function p95(latency: { p95: number | null }): string {
  return latency.p95 === null ? "" : ` · p95 ${formatSeconds(latency.p95)}`;
}

/** What a node says to a screen reader. */
/** A queue's outline: a hexagon, pointed at both ends like a pipe messages flow through. */
const QUEUE_OUTLINE = [
  [14, 0],
  [NODE_WIDTH - 14, 0],
  [NODE_WIDTH, NODE_HEIGHT / 2],
  [NODE_WIDTH - 14, NODE_HEIGHT],
  [14, NODE_HEIGHT],
  [0, NODE_HEIGHT / 2],
]
  .map(([x, y]) => `${x},${y}`)
  .join(" ");

function nodeLabel(node: MapNode): string {
  const stats = `${formatRate(node.requestRate)}, ${(100 * node.errorRate).toFixed(1)}% errors`;
  return `${node.name}: ${stats}${p95(node.latencySeconds).replace(" · ", ", ")}. Show details`;
}

function NodeBox(props: {
  node: MapNode;
  x: number;
  y: number;
  selected: boolean;
  onSelect?: (node: MapNode) => void;
}) {
  const { node, x, y, selected, onSelect } = props;
  const failing = node.errorRate > 0;
  // Services open the side panel: by click, Enter or Space.
  const interactive =
    onSelect && node.kind === "service"
      ? {
          role: "button",
          tabIndex: 0,
          "aria-label": nodeLabel(node),
          "aria-pressed": selected,
          onClick: () => onSelect(node),
          onKeyDown: (event: React.KeyboardEvent) => {
            if (event.key !== "Enter" && event.key !== " ") return;
            event.preventDefault();
            onSelect(node);
          },
        }
      : {};
  const classes = ["map-node", node.kind, failing ? "failing" : "", selected ? "selected" : ""];
  return (
    <g
      className={classes.filter(Boolean).join(" ")}
      transform={`translate(${x},${y})`}
      {...interactive}
    >
      {node.kind === "database" ? (
        <ellipse cx={NODE_WIDTH / 2} cy={NODE_HEIGHT / 2} rx={NODE_WIDTH / 2} ry={NODE_HEIGHT / 2} />
      ) : node.kind === "queue" ? (
        <polygon points={QUEUE_OUTLINE} />
      ) : (
        <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={node.kind === "virtual" ? 30 : 8} />
      )}
      <text x={NODE_WIDTH / 2} y={22} textAnchor="middle" className="name">
        {node.name}
      </text>
      <text x={NODE_WIDTH / 2} y={42} textAnchor="middle" className="stats">
        {node.kind === "virtual"
          ? node.kind
          : node.kind === "queue"
            ? `queue · ${formatRate(node.requestRate)}`
            : `${formatRate(node.requestRate)} · ${(100 * node.errorRate).toFixed(1)}% errors`}
      </text>
      <text x={NODE_WIDTH / 2} y={56} textAnchor="middle" className="stats">
        {p95(node.latencySeconds).replace(" · ", "")}
      </text>
    </g>
  );
}

/** The map as SVG; with `onSelect`, service nodes are buttons (the `selected` one marked). */
export function MapDrawing(props: {
  drawing: Layout;
  selected?: string | null;
  onSelect?: (node: MapNode) => void;
}) {
  const { drawing, selected = null, onSelect } = props;
  return (
    <svg
      className="service-map"
      width={drawing.width}
      height={drawing.height}
      role="group"
      aria-label="Service map"
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" />
        </marker>
      </defs>
      {drawing.edges.map(({ edge, points }) => (
        <polyline
          key={`${edge.source}->${edge.target}`}
          className={`map-edge ${edge.connectionType} ${edge.errorRate > 0 ? "failing" : ""}`}
          data-source={edge.source}
          data-target={edge.target}
          points={points.map((p) => `${p.x},${p.y}`).join(" ")}
          markerEnd="url(#arrow)"
        >
          <title>{`${edge.source} → ${edge.target}${edge.connectionType === "messaging_system" ? " (messages)" : ""}`}</title>
        </polyline>
      ))}
      {drawing.nodes.map(({ node, x, y }) => (
        <NodeBox
          key={node.id}
          node={node}
          x={x}
          y={y}
          selected={node.kind === "service" && node.name === selected}
          onSelect={onSelect}
        />
      ))}
      {/* Edge labels last, above everything: where ELK placed them, else halfway. */}
      {drawing.edges.map(({ edge, points, label }) => {
        const [first, last] = [points[0], points[points.length - 1]];
        if (!first || !last) return null;
        const lines = edgeLabelLines(edge);
        const x = label ? label.x + label.width / 2 : (first.x + last.x) / 2;
        const top = label ? label.y : (first.y + last.y) / 2 - lines.length * LABEL_LINE_HEIGHT;
        return (
          <text key={`${edge.source}->${edge.target}`} className="map-edge-label" textAnchor="middle">
            {lines.map((line, i) => (
              <tspan key={i} x={x} y={top + (i + 1) * LABEL_LINE_HEIGHT - 3}>
                {line}
              </tspan>
            ))}
          </text>
        );
      })}
    </svg>
  );
}

export function ServiceMapPage() {
  const [params, setParams] = useSearchParams();
  const range = rangeFromParams(params);
  const selected = params.get("service");
  // The URL parameters of `r` and the open panel's service (`service=`), if any.
  const withService = (r: TimeRange, service: string | null) =>
    service === null ? rangeParams(r) : { ...rangeParams(r), service };
  const select = (service: string | null) => setParams(withService(range, service));
  const map = useLoad(`map|${rangeKey(range)}`, () => serviceMap(resolveRange(range)));
  const [drawing, setDrawing] = useState<Layout | null>(null);
  useEffect(() => {
    setDrawing(null);
    if (map.state === "done") layout(map.value.nodes, map.value.edges).then(setDrawing);
  }, [map]);
  const selectedNode =
    map.state === "done"
      ? map.value.nodes.find((n) => n.kind === "service" && n.name === selected)
      : undefined;
  return (
    <section>
      <h1>Service map</h1>
      <form className="query">
        <RangeSelect range={range} onChange={(r) => setParams(withService(r, selected))} />
      </form>
      {map.state === "loading" && <Loading />}
      {map.state === "error" && <ErrorBox error={map.error} />}
      {map.state === "done" && map.value.nodes.length === 0 && (
        <Empty>No calls between services in this time range.</Empty>
      )}
      {map.state === "done" && map.value.nodes.length > 0 && drawing && (
        <>
          <small>Select a service for its rate, errors and duration over time.</small>
          <div className={`map-layout ${selectedNode ? "with-panel" : ""}`}>
            <div className="map-scroll">
              <MapDrawing
                drawing={drawing}
                selected={selected}
                onSelect={(n) => select(n.name === selected ? null : n.name)}
              />
            </div>
            {selectedNode && (
              <ServicePanel
                node={selectedNode}
                nodes={map.value.nodes}
                edges={map.value.edges}
                range={range}
                onClose={() => select(null)}
              />
            )}
          </div>
          <ul className="map-links">
            {map.value.nodes
              .filter((n) => n.kind === "service")
              .map((n) => (
                <li key={n.id}>
                  <Link to={tracesLink(n.name, range)}>Traces of {n.name}</Link>
                </li>
              ))}
          </ul>
        </>
      )}
    </section>
  );
}
