// Rates, percentages and durations as the service views print them.
import { formatUnit } from "./RedChart";
import { formatPercent, formatRequestRate, formatSeconds } from "./units";

test("request rates keep two or three significant digits", () => {
  expect(formatRequestRate(0)).toBe("0/s");
  expect(formatRequestRate(0.0004)).toBe("<0.001/s");
  expect(formatRequestRate(0.012345)).toBe("0.0123/s");
  expect(formatRequestRate(3.456)).toBe("3.46/s");
  expect(formatRequestRate(120.4)).toBe("120/s");
  expect(formatRequestRate(1234)).toBe("1230/s");
  expect(formatRequestRate(12345)).toBe("12.3k/s");
  expect(formatRequestRate(2_500_000)).toBe("2.5M/s");
  expect(formatRequestRate(null)).toBe("—");
});

test("percentages and durations", () => {
  expect(formatPercent(0)).toBe("0%");
  expect(formatPercent(0.00001)).toBe("<0.01%");
  expect(formatPercent(0.0012345)).toBe("0.12%");
  expect(formatPercent(0.025)).toBe("2.5%");
  expect(formatPercent(0.253)).toBe("25%");
  expect(formatPercent(1)).toBe("100%");
  expect(formatSeconds(null)).toBe("—");
  expect(formatSeconds(NaN)).toBe("—");
  expect(formatSeconds(0.00085)).toBe("850 µs");
  expect(formatSeconds(0.01234)).toBe("12.3 ms");
  expect(formatSeconds(0.25)).toBe("250 ms");
  expect(formatSeconds(1.254)).toBe("1.25 s");
  expect(formatSeconds(150)).toBe("2.5 min");
  expect(formatUnit("percent", 12.5)).toBe("13%");
  expect(formatUnit("rate", 0.5)).toBe("0.5/s");
  expect(formatUnit("seconds", 0.002)).toBe("2 ms");
});
