import { seriesName } from "./TimeSeriesChart";
import { scatterPoints } from "./TraceScatter";

test("series are named as Prometheus prints them", () => {
  expect(seriesName({ __name__: "up", job: "api", instance: "a:1" })).toBe(
    'up{instance="a:1", job="api"}',
  );
  expect(seriesName({ __name__: "up" })).toBe("up");
  expect(seriesName({ service: "cart" })).toBe('{service="cart"}');
  expect(seriesName({})).toBe("{}");
});

test("each trace is a point: start, duration, id", () => {
  expect(
    scatterPoints([
      { traceID: "ab", startTimeUnixNano: "1700000000123000000", durationMs: 250 },
      { traceID: "cd", startTimeUnixNano: "1700000001000000000" },
    ]),
  ).toEqual([
    [1700000000123, 250, "ab"],
    [1700000001000, 0, "cd"],
  ]);
});
