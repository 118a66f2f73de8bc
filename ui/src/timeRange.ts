// The time range every page shows: relative ("last hour", `since=3600` in the URL) or absolute
// (`from`/`to` in unix seconds). Pages read it from the URL and resolve it when they load.

/** A relative range ends now; an absolute one has fixed unix-second bounds. */
export type TimeRange =
  | { kind: "relative"; seconds: number }
  | { kind: "absolute"; from: number; to: number };

/** Resolved bounds in unix seconds. */
export interface Bounds {
  start: number;
  end: number;
}

/** The relative ranges offered by the picker. */
export const RELATIVE_RANGES: { label: string; seconds: number }[] = [
  { label: "Last 5 minutes", seconds: 300 },
  { label: "Last 15 minutes", seconds: 900 },
  { label: "Last hour", seconds: 3600 },
  { label: "Last 6 hours", seconds: 21600 },
  { label: "Last 24 hours", seconds: 86400 },
  { label: "Last 7 days", seconds: 604800 },
];

/** Unix seconds from `1700000000` or an ISO date; null when neither. */
function parseInstant(text: string | null): number | null {
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.floor(Number(text));
  const millis = Date.parse(text);
  return Number.isNaN(millis) ? null : Math.floor(millis / 1000);
}

/** The range in the URL: `from`+`to` when both parse and are ordered, else `since` (default 1h). */
export function rangeFromParams(params: URLSearchParams, defaultSeconds = 3600): TimeRange {
  const from = parseInstant(params.get("from"));
  const to = parseInstant(params.get("to"));
  if (from !== null && to !== null && from < to) return { kind: "absolute", from, to };
  const since = Number(params.get("since"));
  return { kind: "relative", seconds: since > 0 ? Math.floor(since) : defaultSeconds };
}

/** URL parameters holding `range`. */
export function rangeParams(range: TimeRange): Record<string, string> {
  return range.kind === "relative"
    ? { since: String(range.seconds) }
    : { from: String(range.from), to: String(range.to) };
}

/** The URL query string (without `?`) of `range`, for links between pages. */
export function rangeQuery(range: TimeRange): string {
  return new URLSearchParams(rangeParams(range)).toString();
}

/** Bounds of `range` now (relative ranges end at `nowMillis`). */
export function resolveRange(range: TimeRange, nowMillis = Date.now()): Bounds {
  if (range.kind === "absolute") return { start: range.from, end: range.to };
  const end = Math.floor(nowMillis / 1000);
  return { start: end - range.seconds, end };
}

/** A key that changes when the range does (for reloading). */
export function rangeKey(range: TimeRange): string {
  return range.kind === "relative" ? `since:${range.seconds}` : `abs:${range.from}-${range.to}`;
}

/** Length of the range in seconds. */
export function rangeSeconds(range: TimeRange): number {
  return range.kind === "relative" ? range.seconds : range.to - range.from;
}

/** `2026-11-27T10:05` in local time, the value of a `datetime-local` input. */
export function toLocalInput(unixSeconds: number): string {
  const date = new Date(unixSeconds * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** Unix seconds of a `datetime-local` value (local time); null when empty or invalid. */
export function fromLocalInput(value: string): number | null {
  if (!value) return null;
  const millis = new Date(value).getTime();
  return Number.isNaN(millis) ? null : Math.floor(millis / 1000);
}
