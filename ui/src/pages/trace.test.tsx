import { barStyle } from "./Trace";

test("bars sit on the trace's timeline", () => {
  const start = 1_000_000_000n;
  const end = 1_100_000_000n; // 100 ms
  expect(
    barStyle({ startTimeUnixNano: "1000000000", durationNanos: "100000000" }, start, end),
  ).toEqual({ left: "0.000%", width: "100.000%" });
  expect(
    barStyle({ startTimeUnixNano: "1050000000", durationNanos: "25000000" }, start, end),
  ).toEqual({ left: "50.000%", width: "25.000%" });
  // Very short spans stay visible; a bar never runs past the end.
  expect(barStyle({ startTimeUnixNano: "1099999999", durationNanos: "1" }, start, end)).toEqual({
    left: "99.800%",
    width: "0.200%",
  });
});
