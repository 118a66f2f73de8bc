// Numbers of the service views as people read them: request rates, error percentages and
// span durations, with two or three significant digits.

/** `n` with at most `digits` significant digits and no trailing zeros. */
function significant(n: number, digits = 3): string {
  return String(Number(n.toPrecision(digits)));
}

/** A request rate: `0/s`, `0.0123/s`, `3.46/s`, `120/s`, `12.3k/s`. */
export function formatRequestRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return "—";
  if (perSecond === 0) return "0/s";
  if (perSecond < 0.001) return "<0.001/s";
  const rounded = Number(perSecond.toPrecision(3));
  if (rounded >= 1e6) return `${significant(rounded / 1e6)}M/s`;
  if (rounded >= 1e4) return `${significant(rounded / 1e3)}k/s`;
  return `${rounded}/s`;
}

/** A fraction as a percentage: `0%`, `<0.01%`, `0.12%`, `2.5%`, `25%`. */
export function formatPercent(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return "—";
  const percent = 100 * fraction;
  if (percent === 0) return "0%";
  if (percent < 0.01) return "<0.01%";
  if (percent < 10) return `${significant(percent, 2)}%`;
  return `${Math.round(percent)}%`;
}

/** A duration given in seconds: `850 µs`, `12.3 ms`, `1.25 s`, `2.5 min`; `—` when unknown. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "—";
  if (seconds === 0) return "0 ms";
  if (seconds < 0.001) return `${significant(seconds * 1e6)} µs`;
  if (seconds < 1) return `${significant(seconds * 1e3)} ms`;
  if (seconds < 60) return `${significant(seconds)} s`;
  return `${significant(seconds / 60, 2)} min`;
}
