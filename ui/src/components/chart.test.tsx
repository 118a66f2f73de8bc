import { seriesName } from "./TimeSeriesChart";

test("series are named as Prometheus prints them", () => {
  expect(seriesName({ __name__: "up", job: "api", instance: "a:1" })).toBe(
    'up{instance="a:1", job="api"}',
  );
  expect(seriesName({ __name__: "up" })).toBe("up");
  expect(seriesName({ service: "cart" })).toBe('{service="cart"}');
  expect(seriesName({})).toBe("{}");
});
