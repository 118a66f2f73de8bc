// Links between the service views and the Traces, Logs and Services pages, keeping the range.
import { tracesQuery, logsQuery } from "../api/serviceQueries";
import { type TimeRange, rangeParams } from "../timeRange";

function link(path: string, params: Record<string, string>): string {
  return `${path}?${new URLSearchParams(params)}`;
}

/** The Traces page searching `service`'s spans (or one operation's) in `range`. */
export function tracesLink(service: string, range: TimeRange, operation?: string): string {
  return link("/traces", { q: tracesQuery(service, operation), ...rangeParams(range) });
}

/** The Logs page searching `service`'s lines in `range`. */
export function logsLink(service: string, range: TimeRange): string {
  return link("/logs", { q: logsQuery(service), ...rangeParams(range) });
}

/** The Services page showing `service` (or the list without one) in `range`. */
export function serviceLink(service: string | null, range: TimeRange): string {
  return link("/services", { ...(service === null ? {} : { service }), ...rangeParams(range) });
}
