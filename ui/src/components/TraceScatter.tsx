// Trace durations over time as a scatter plot (ECharts, SVG renderer); a point opens its trace.
import { useEffect, useRef } from "react";
import { ScatterChart } from "echarts/charts";
import { GridComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { useNavigate } from "react-router-dom";

import type { TraceSummary } from "../api";

echarts.use([ScatterChart, GridComponent, TooltipComponent, SVGRenderer]);

/** `[start ms, duration ms, trace id]` per trace. */
export function scatterPoints(traces: TraceSummary[]): [number, number, string][] {
  return traces.map((t) => [
    Number(BigInt(t.startTimeUnixNano) / 1_000_000n),
    t.durationMs ?? 0,
    t.traceID,
  ]);
}

export default function TraceScatter({ traces }: { traces: TraceSummary[] }) {
  const element = useRef<HTMLDivElement>(null);
  const navigate = useNavigate();
  useEffect(() => {
    if (!element.current) return;
    const chart = echarts.init(element.current, undefined, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 60, right: 20, top: 24, bottom: 30 },
      tooltip: { formatter: (p: { value: [number, number, string] }) => `${p.value[2]}<br>${p.value[1]} ms` },
      xAxis: { type: "time" },
      yAxis: { type: "value", name: "ms" },
      series: [{ type: "scatter", symbolSize: 8, data: scatterPoints(traces) }],
    });
    chart.on("click", (event) => {
      const value = event.value as [number, number, string];
      navigate(`/trace/${value[2]}`);
    });
    return () => chart.dispose();
  }, [traces, navigate]);
  return (
    <div ref={element} className="scatter" role="img" aria-label="Trace durations over time" />
  );
}
