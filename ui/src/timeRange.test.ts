import { rangeFromParams, rangeParams, resolveRange, fromLocalInput, toLocalInput } from "./timeRange";

test("relative ranges come from `since`, default one hour", () => {
  expect(rangeFromParams(new URLSearchParams("since=900"))).toEqual({ kind: "relative", seconds: 900 });
  expect(rangeFromParams(new URLSearchParams(""))).toEqual({ kind: "relative", seconds: 3600 });
  expect(rangeFromParams(new URLSearchParams("since=-5"))).toEqual({ kind: "relative", seconds: 3600 });
});

test("absolute ranges come from `from` and `to`, in unix seconds or ISO dates", () => {
  const range = rangeFromParams(new URLSearchParams("from=1700000000&to=1700003600"));
  expect(range).toEqual({ kind: "absolute", from: 1700000000, to: 1700003600 });
  expect(resolveRange(range)).toEqual({ start: 1700000000, end: 1700003600 });
  expect(rangeParams(range)).toEqual({ from: "1700000000", to: "1700003600" });
  const iso = rangeFromParams(
    new URLSearchParams("from=2023-11-14T22:13:20Z&to=2023-11-14T23:13:20Z"),
  );
  expect(iso).toEqual({ kind: "absolute", from: 1700000000, to: 1700003600 });
  // A reversed range falls back to the relative one.
  expect(rangeFromParams(new URLSearchParams("from=1700003600&to=1700000000&since=300"))).toEqual({
    kind: "relative",
    seconds: 300,
  });
});

test("relative ranges end now", () => {
  const bounds = resolveRange({ kind: "relative", seconds: 600 }, 1_700_000_000_500);
  expect(bounds).toEqual({ start: 1_699_999_400, end: 1_700_000_000 });
});

test("datetime-local values round-trip in local time", () => {
  const seconds = 1_700_000_040;
  expect(fromLocalInput(toLocalInput(seconds))).toBe(seconds);
  expect(fromLocalInput("")).toBeNull();
});
