// The service map's side panel for one service: its stats from the map, the services that call
// it and that it calls, its RED charts over time, and links to its traces, its logs and its
// page on the Services page. Escape or the close button closes it.
import { useEffect, useRef } from "react";
import { Link } from "react-router-dom";

import type { MapEdge, MapNode } from "../api";
import type { TimeRange } from "../timeRange";
import { type Figure, Figures } from "./Figures";
import { ServiceRed } from "./ServiceRed";
import { logsLink, serviceLink, tracesLink } from "./serviceLinks";
import { formatPercent, formatRequestRate, formatSeconds } from "./units";
import "./services.css";

/** A node's figures over the map's range. */
function NodeFigures({ node }: { node: MapNode }) {
  const figures: Figure[] = [
    ["Requests", `${formatRequestRate(node.requestRate)} (${node.requests.toLocaleString("en-US")})`, false],
    ["Errors", `${formatPercent(node.errorRate)} (${node.errors.toLocaleString("en-US")})`, node.errorRate > 0],
    ["p50", formatSeconds(node.latencySeconds.p50), false],
    ["p95", formatSeconds(node.latencySeconds.p95), false],
    ["p99", formatSeconds(node.latencySeconds.p99), false],
  ];
  return <Figures figures={figures} />;
}

/** Callers or callees: the peer's name and the edge's rate, errors and p95. */
function Peers(props: { title: string; edges: MapEdge[]; peer: (edge: MapEdge) => string }) {
  if (props.edges.length === 0) return null;
  return (
    <>
      <h3>{props.title}</h3>
      <ul className="peers">
        {props.edges.map((edge) => (
          <li key={`${edge.source}->${edge.target}`}>
            <span>{props.peer(edge)}</span>
            <small>
              {formatRequestRate(edge.requestRate)} · {formatPercent(edge.errorRate)} errors · p95{" "}
              {formatSeconds(edge.latencySeconds.p95)}
            </small>
          </li>
        ))}
      </ul>
    </>
  );
}

/** The panel of `node`, a service of the map made of `nodes` and `edges` over `range`. */
export function ServicePanel(props: {
  node: MapNode;
  nodes: MapNode[];
  edges: MapEdge[];
  range: TimeRange;
  onClose: () => void;
}) {
  const { node, nodes, edges, range, onClose } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  // Opening (or switching) the panel moves the focus to it, so keyboard users land there.
  useEffect(() => heading.current?.focus(), [node.id]);
  const names = new Map(nodes.map((n) => [n.id, n.name]));
  const name = (id: string) => names.get(id) ?? id;
  return (
    <aside
      className="map-panel"
      aria-label={`Service ${node.name}`}
      onKeyDown={(event) => {
        if (event.key === "Escape") onClose();
      }}
    >
      <header>
        <h2 ref={heading} tabIndex={-1}>
          {node.name}
        </h2>
        <button type="button" className="close" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <ul className="panel-links">
        <li>
          <Link to={tracesLink(node.name, range)}>Traces of {node.name}</Link>
        </li>
        <li>
          <Link to={logsLink(node.name, range)}>Logs of {node.name}</Link>
        </li>
        <li>
          <Link to={serviceLink(node.name, range)}>Open in Services</Link>
        </li>
      </ul>
      <NodeFigures node={node} />
      <Peers title="Called by" edges={edges.filter((e) => e.target === node.id)} peer={(e) => name(e.source)} />
      <Peers title="Calls" edges={edges.filter((e) => e.source === node.id)} peer={(e) => name(e.target)} />
      <h3>Over time</h3>
      {/* The map counts server and consumer spans: a service without any has 0 requests there. */}
      <ServiceRed service={node.name} range={range} allKinds={node.requests === 0} />
    </aside>
  );
}
