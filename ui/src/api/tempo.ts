// Typed calls to Tempo's tag discovery API (`/api/v2/search/tags`, `/api/v2/search/tag/…/values`),
// used by the trace search form and the TraceQL autocomplete.
import type { Bounds } from "../timeRange";
import { quoteString } from "../traceql";
import { json } from "./index";

/** Attribute scopes of `/api/v2/search/tags`. */
export type TagScope = "span" | "resource";

/** Tag names per scope, e.g. `{ span: ["http.route"], resource: ["service.name"] }`. */
export type ScopedTags = Record<TagScope, string[]>;

/** One value of `/api/v2/search/tag/{tag}/values`: its TraceQL type and its text. */
export interface TagValue {
  /** `string`, `int`, `float`, `bool`, `duration`, `keyword` (status and kind values), … */
  type: string;
  value: string;
}

function params(bounds: Bounds, extra: Record<string, string | undefined>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined && value !== "") out.set(key, value);
  }
  out.set("start", String(bounds.start));
  out.set("end", String(bounds.end));
  return out;
}

/** Tag names of one scope within `bounds`, narrowed to the spans of TraceQL `q` when given. */
export async function tagNames(scope: TagScope, bounds: Bounds, q?: string): Promise<string[]> {
  const body = await json<{ scopes?: { name: string; tags?: string[] }[] }>(
    `/api/v2/search/tags?${params(bounds, { scope, q })}`,
  );
  return (body.scopes ?? [])
    .filter((s) => s.name === scope)
    .flatMap((s) => s.tags ?? []);
}

/** Span and resource tag names within `bounds` (two requests, in parallel). */
export async function scopedTags(bounds: Bounds, q?: string): Promise<ScopedTags> {
  const [span, resource] = await Promise.all([
    tagNames("span", bounds, q),
    tagNames("resource", bounds, q),
  ]);
  return { span, resource };
}

/**
 * Values of `tag` (a TraceQL attribute or intrinsic as written, e.g. `resource.service.name`,
 * `span.http.route`, `name`, `status`) within `bounds`, narrowed by TraceQL `q` when given.
 */
export async function tagValues(tag: string, bounds: Bounds, q?: string): Promise<TagValue[]> {
  const body = await json<{ tagValues?: TagValue[] }>(
    `/api/v2/search/tag/${encodeURIComponent(tag)}/values?${params(bounds, { q })}`,
  );
  return body.tagValues ?? [];
}

/** Service names (`resource.service.name` values) within `bounds`, sorted. */
export async function serviceNames(bounds: Bounds): Promise<string[]> {
  const values = await tagValues("resource.service.name", bounds);
  return values.map((v) => v.value).sort();
}

/** Span names within `bounds`, only those of `service` when given, sorted. */
export async function spanNames(bounds: Bounds, service?: string): Promise<string[]> {
  const q = service ? `{ resource.service.name = ${quoteString(service)} }` : undefined;
  const values = await tagValues("name", bounds, q);
  return values.map((v) => v.value).sort();
}
