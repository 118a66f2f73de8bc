// One small RED chart (rate, errors or duration over time): ECharts with its SVG renderer so
// the axis labels and the legend are real text, in the page's theme colours (CSS variables,
// re-read when the theme changes), with y values in the chart's unit.
import { useEffect, useRef, useState } from "react";
import { LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";

import type { Point } from "../api/services";
import { formatPercent, formatRequestRate, formatSeconds } from "./units";
import "./services.css";

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** What the y values are: requests per second, percent (0..100) or seconds. */
export type ChartUnit = "rate" | "percent" | "seconds";

/** One line of a chart; `color` names a CSS variable such as `--accent`. */
export interface ChartLine {
  name: string;
  points: Point[];
  color?: string;
}

/** Formats a y value of `unit` for axis labels and tooltips. */
export function formatUnit(unit: ChartUnit, value: number | null): string {
  if (value === null) return "—";
  if (unit === "rate") return formatRequestRate(value);
  if (unit === "percent") return formatPercent(value / 100);
  return formatSeconds(value);
}

/** A number that changes whenever the light/dark theme may have changed. */
function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    const media = window.matchMedia?.("(prefers-color-scheme: dark)");
    media?.addEventListener?.("change", bump);
    return () => {
      observer.disconnect();
      media?.removeEventListener?.("change", bump);
    };
  }, []);
  return version;
}

function cssVariable(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

// jsdom (tests) has no layout: charts there get this size instead of their element's.
const FALLBACK_WIDTH = 480;
const FALLBACK_HEIGHT = 200;

/** A titled line chart of `lines` between `start` and `end` (unix seconds). */
export function RedChart(props: {
  title: string;
  unit: ChartUnit;
  lines: ChartLine[];
  start: number;
  end: number;
}) {
  const { title, unit, lines, start, end } = props;
  const element = useRef<HTMLDivElement>(null);
  const theme = useThemeVersion();
  const hasData = lines.some((line) => line.points.some(([, v]) => v !== null));
  useEffect(() => {
    const el = element.current;
    if (!el || !hasData) return;
    const chart = echarts.init(el, undefined, {
      renderer: "svg",
      width: el.clientWidth > 0 ? undefined : FALLBACK_WIDTH,
      height: el.clientHeight > 0 ? undefined : FALLBACK_HEIGHT,
    });
    const [fg, muted, line] = [
      cssVariable("--fg", "#1d2330"),
      cssVariable("--muted", "#5d6675"),
      cssVariable("--line", "#dde1e8"),
    ];
    const legend = lines.length > 1;
    chart.setOption({
      animation: false,
      textStyle: { color: muted },
      tooltip: {
        trigger: "axis",
        valueFormatter: (value: unknown) => formatUnit(unit, typeof value === "number" ? value : null),
      },
      legend: legend ? { top: 0, right: 0, textStyle: { color: fg } } : { show: false },
      grid: { left: 64, right: 16, top: legend ? 30 : 12, bottom: 26 },
      xAxis: {
        type: "time",
        min: start * 1000,
        max: end * 1000,
        axisLabel: { color: muted, hideOverlap: true },
        axisLine: { lineStyle: { color: line } },
      },
      yAxis: {
        type: "value",
        min: 0,
        axisLabel: { color: muted, formatter: (value: number) => formatUnit(unit, value) },
        splitLine: { lineStyle: { color: line } },
      },
      series: lines.map((l) => {
        const color = l.color ? cssVariable(l.color, "") || undefined : undefined;
        return {
          name: l.name,
          type: "line",
          // Sparse lines show their points: a lone point draws no line.
          showSymbol: l.points.length < 50,
          connectNulls: false,
          data: l.points,
          ...(color ? { itemStyle: { color }, lineStyle: { color } } : {}),
        };
      }),
    });
    const resize = () => chart.resize();
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(resize);
    observer?.observe(el);
    window.addEventListener("resize", resize);
    return () => {
      observer?.disconnect();
      window.removeEventListener("resize", resize);
      chart.dispose();
    };
  }, [lines, unit, start, end, theme, hasData]);
  return (
    <figure className="red-chart">
      <figcaption>{title}</figcaption>
      {hasData ? (
        <div ref={element} className="red-chart-canvas" role="img" aria-label={`${title} over time`} />
      ) : (
        <p className="status empty red-chart-empty">No data in this time range.</p>
      )}
    </figure>
  );
}
