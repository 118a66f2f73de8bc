// A line chart of Prometheus range-query series, drawn by ECharts with its SVG renderer so
// that axis labels and the legend are real text (readable by screen readers and tests).
import { useEffect, useRef } from "react";
import { LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";

import type { RangeResult } from "../api";

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** A series' name as Prometheus prints it: `name{label="value", ...}`. */
export function seriesName(metric: Record<string, string>): string {
  const { __name__: name = "", ...labels } = metric;
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}="${value}"`);
  return pairs.length === 0 ? name || "{}" : `${name}{${pairs.join(", ")}}`;
}

export function TimeSeriesChart({ result }: { result: RangeResult }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const chart = echarts.init(element.current, undefined, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 60, right: 20, top: 20, bottom: 60 },
      xAxis: { type: "time", min: result.start * 1000, max: result.end * 1000 },
      yAxis: { type: "value", scale: true },
      series: result.series.map((s) => ({
        name: seriesName(s.metric),
        type: "line",
        // Sparse series show their points: a single point draws no line.
        showSymbol: s.values.length < 50,
        data: s.values.map(([t, v]) => [t * 1000, Number(v)]),
      })),
    });
    const resize = () => chart.resize();
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.dispose();
    };
  }, [result]);
  return <div ref={element} className="chart" role="img" aria-label="Time series chart" />;
}
