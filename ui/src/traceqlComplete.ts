// TraceQL autocomplete for the query box: what to offer at the cursor (attributes after `{`, `&&`,
// `||`, `(` or `!`; operators after an attribute; values after `<attribute> <operator>`), and how
// an accepted option changes the text. Pure functions; the values come from the tag APIs.
import type { ScopedTags, TagValue } from "./api/tempo";
import { INTRINSICS, KEYWORD_VALUES, OPERATORS, type Token, lexTraceQL, quoteString, unquoteString } from "./traceql";

/** One option of the completion list. */
export interface Completion {
  /** What the list shows. */
  label: string;
  /** What replaces `from..to` when accepted. */
  insert: string;
  /** A short hint: `intrinsic`, `span`, `resource`, `operator` or the value's type. */
  detail: string;
}

/** The completions at the cursor: options replace the text from `from` to `to`. */
export interface CompletionResult {
  kind: "attribute" | "operator" | "value" | "none";
  from: number;
  to: number;
  options: Completion[];
  /** The attribute whose values are offered (value completions). */
  attribute?: string;
  /** Set when the values of this attribute are needed but not in `values` yet: load them. */
  needValues?: string;
}

/** At most this many options are returned. */
export const MAX_OPTIONS = 100;

const OPENERS = new Set(["open", "lparen", "and", "or", "not"]);

/** Options whose label starts with `partial` first, then those containing it (case-insensitive). */
function rank<T>(items: T[], text: (item: T) => string, partial: string): T[] {
  const p = partial.toLowerCase();
  const starts = items.filter((item) => text(item).toLowerCase().startsWith(p));
  const contains = items.filter(
    (item) => !text(item).toLowerCase().startsWith(p) && text(item).toLowerCase().includes(p),
  );
  return [...starts, ...contains].slice(0, MAX_OPTIONS);
}

/** Every attribute the box offers: intrinsics, then `resource.*` and `span.*` tags. */
export function attributeOptions(tags: ScopedTags): Completion[] {
  return [
    ...INTRINSICS.map((name) => ({ label: name, insert: name, detail: "intrinsic" })),
    ...tags.resource.map((t) => ({ label: `resource.${t}`, insert: `resource.${t}`, detail: "resource" })),
    ...tags.span.map((t) => ({ label: `span.${t}`, insert: `span.${t}`, detail: "span" })),
  ];
}

/** The TraceQL literal of a tag value: strings (and anything after a regex operator) quoted. */
export function valueLiteral(value: TagValue, op: string): string {
  return value.type === "string" || op === "=~" || op === "!~" ? quoteString(value.value) : value.value;
}

/**
 * Completions for `text` with the cursor at `cursor`, given the span and resource tag names and
 * the values known so far per attribute (as written, e.g. `resource.service.name`). Status and
 * kind values are built in; for other attributes without values, `needValues` asks for them.
 */
export function completeTraceQL(
  text: string,
  cursor: number,
  tags: ScopedTags,
  values: Record<string, TagValue[] | undefined>,
): CompletionResult {
  const none: CompletionResult = { kind: "none", from: cursor, to: cursor, options: [] };
  const tokens = lexTraceQL(text);
  // The token being typed: the word, string or operator that ends at or spans the cursor.
  // A `!` is the start of `!=`/`!~` after an attribute, else a negation (an opener).
  const afterWord = (t: Token) =>
    tokens.filter((u) => u.end <= t.start && u.kind !== "space").at(-1)?.kind === "word";
  const current = tokens.find(
    (t) =>
      t.start < cursor &&
      cursor <= t.end &&
      (t.kind === "word" || t.kind === "string" || t.kind === "op" || (t.kind === "not" && afterWord(t))),
  );
  const from = current?.start ?? cursor;
  const to = current?.end ?? cursor;
  const partial = text.slice(from, cursor);
  const before = tokens.filter((t) => t.end <= from && t.kind !== "space");
  const [prev3, prev2, prev] = [before.at(-3), before.at(-2), before.at(-1)];
  const opener = (t: Token | undefined) => t !== undefined && OPENERS.has(t.kind);
  // A space goes after an accepted option unless one follows already.
  const space = /^\s/.test(text.slice(to)) ? "" : " ";
  const result = (kind: CompletionResult["kind"], options: Completion[], extra = {}) => {
    const typed = text.slice(from, to);
    const withSpace = options.map((o) => ({ ...o, insert: o.insert + space }));
    // Nothing to offer when the only option is what is already there.
    const done = withSpace.length === 1 && withSpace[0].insert.trim() === typed;
    return { kind, from, to, options: done ? [] : withSpace, ...extra };
  };

  const typingValue = !current || current.kind === "word" || current.kind === "string";
  if (typingValue && prev?.kind === "op" && prev2?.kind === "word" && opener(prev3)) {
    const attribute = prev2.text;
    const known = KEYWORD_VALUES[attribute]?.map((value) => ({ type: "keyword", value }));
    const list = known ?? values[attribute];
    if (list === undefined) return { ...result("value", []), attribute, needValues: attribute };
    const quoted = partial.startsWith('"');
    const needle = quoted ? unquoteString(partial) : partial;
    const options = rank(list, (v) => v.value, needle).map((v) => ({
      label: valueLiteral(v, prev.text),
      insert: valueLiteral(v, prev.text),
      detail: v.type,
    }));
    return result("value", options, { attribute });
  }

  const typingOperator = !current || current.kind === "op" || current.kind === "not";
  if (typingOperator && prev?.kind === "word" && opener(prev2) && (current || from > prev.end)) {
    const options = OPERATORS.filter((op) => op.startsWith(partial)).map((op) => ({
      label: op,
      insert: op,
      detail: "operator",
    }));
    return result("operator", options);
  }

  if ((!current || current.kind === "word") && opener(prev)) {
    const options = rank(attributeOptions(tags), (o) => o.label, partial);
    return result("attribute", options);
  }
  return none;
}

/** The text and cursor after accepting `option` of `result`. */
export function applyCompletion(
  text: string,
  result: CompletionResult,
  option: Completion,
): { text: string; cursor: number } {
  return {
    text: text.slice(0, result.from) + option.insert + text.slice(result.to),
    cursor: result.from + option.insert.length,
  };
}
