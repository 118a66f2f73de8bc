// How the trace view writes times: nanosecond durations and offsets as people read them.

/** Up to 3 significant digits without trailing zeros. */
function short(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

/** A duration in nanoseconds: 850 ns, 12.5 µs, 3.2 ms, 1.25 s, 2 min 5 s. */
export function formatNanos(nanos: number): string {
  if (nanos < 1_000) return `${Math.max(0, Math.round(nanos))} ns`;
  if (nanos < 1_000_000) return `${short(nanos / 1_000)} µs`;
  if (nanos < 1_000_000_000) return `${short(nanos / 1_000_000)} ms`;
  if (nanos < 60_000_000_000) return `${short(nanos / 1_000_000_000)} s`;
  const seconds = Math.round(nanos / 1_000_000_000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** Where `part` sits in `whole`, in percent, kept inside 0..100. */
export function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.min(100, Math.max(0, (100 * part) / whole));
}
