// TraceQL for the trace search form: a small lexer, string quoting, value formatting, duration
// validation, building a query from the form and reading a simple query back into the form.
// Pure functions only; the completion logic lives in traceqlComplete.ts.

/** Comparison operators the form offers. */
export const OPERATORS = ["=", "!=", "=~", "!~", ">", ">=", "<", "<="] as const;
export type Operator = (typeof OPERATORS)[number];

/** One attribute condition of the form: `span.http.route = "/cart"`. */
export interface Condition {
  key: string;
  op: Operator;
  value: string;
}

/** The structured search form; durations are kept as typed (`100ms`, `1.5s`). */
export interface SearchForm {
  service: string;
  spanName: string;
  conditions: Condition[];
  minDuration: string;
  maxDuration: string;
  /** Whether min/max apply to each span (`duration`) or the whole trace (`traceDuration`). */
  durationOf: "span" | "trace";
}

/** A form with nothing chosen (the query `{}`). */
export const EMPTY_FORM: SearchForm = {
  service: "",
  spanName: "",
  conditions: [],
  minDuration: "",
  maxDuration: "",
  durationOf: "span",
};

/** Unscoped intrinsics; attributes need a scope (`span.`, `resource.`, or `.` for any). */
export const INTRINSICS = [
  "name",
  "status",
  "kind",
  "duration",
  "rootName",
  "rootServiceName",
  "traceDuration",
  "statusMessage",
];

/** Values of the enum intrinsics, written unquoted. */
export const KEYWORD_VALUES: Record<string, string[]> = {
  status: ["error", "ok", "unset"],
  kind: ["server", "client", "producer", "consumer", "internal", "unspecified"],
};

const DURATION_FIELDS = ["duration", "traceDuration", "span:duration", "trace:duration"];
const SCOPED = /^(\.|(span|resource|event|link|instrumentation)\.|(span|trace|event|link|instrumentation):)/;
const NAME_TERMINATORS = /[\s{}()=~!<>&|^,"]/;

export type TokenKind =
  | "open" | "close" | "lparen" | "rparen" | "and" | "or" | "not" | "op" | "string" | "word"
  | "space" | "other";

/** A lexed piece of TraceQL; `closed` tells whether a string has its closing quote. */
export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  closed?: boolean;
}

const SINGLE: Record<string, TokenKind> = { "{": "open", "}": "close", "(": "lparen", ")": "rparen" };
const MULTI: [string, TokenKind][] = [
  ["&&", "and"], ["||", "or"], ["!=", "op"], ["!~", "op"], ["=~", "op"], [">=", "op"],
  ["<=", "op"], ["=", "op"], [">", "op"], ["<", "op"], ["!", "not"],
];

/** Splits `text` into tokens, covering every character; never throws (unclosed strings are marked). */
export function lexTraceQL(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number, closed?: boolean) => {
    tokens.push({ kind, text: text.slice(i, end), start: i, end, ...(closed === undefined ? {} : { closed }) });
    i = end;
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      let end = i;
      while (end < text.length && /\s/.test(text[end])) end++;
      push("space", end);
    } else if (SINGLE[c]) {
      push(SINGLE[c], i + 1);
    } else if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      if (end < text.length) push("string", end + 1, true);
      else push("string", text.length, false);
    } else {
      const multi = MULTI.find(([s]) => text.startsWith(s, i));
      if (multi) {
        push(multi[1], i + multi[0].length);
      } else if (NAME_TERMINATORS.test(c)) {
        push("other", i + 1);
      } else {
        let end = i;
        while (end < text.length && !NAME_TERMINATORS.test(text[end])) end++;
        push("word", end);
      }
    }
  }
  return tokens;
}

/** A TraceQL string literal of `value`: double-quoted, backslashes and quotes escaped. */
export function quoteString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The content of a lexed string token (`"a\"b"` → `a"b`); tolerates a missing closing quote. */
export function unquoteString(token: string): string {
  const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r" };
  let out = "";
  for (let i = token.startsWith('"') ? 1 : 0; i < token.length; i++) {
    const c = token[i];
    if (c === '"') break;
    if (c === "\\" && i + 1 < token.length) {
      i++;
      out += escapes[token[i]] ?? token[i];
    } else {
      out += c;
    }
  }
  return out;
}

/** Nanoseconds of a TraceQL duration (`100ms`, `1.5s`, `2m`, `1m30s`), or null when invalid. */
export function parseDuration(text: string): number | null {
  const units: Record<string, number> = {
    ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
  };
  const trimmed = text.trim();
  if (!/^((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/.test(trimmed)) return null;
  let total = 0;
  for (const [, number, unit] of trimmed.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(number) * units[unit];
  }
  return total;
}

const DURATION_HINT = "Use a number and a unit, like 100ms, 1.5s or 2m.";

/** Problems with the form, by field; an empty object when the form is valid. */
export interface FormErrors {
  minDuration?: string;
  maxDuration?: string;
  /** By condition index. */
  conditions?: Record<number, string>;
}

/** Why `key` can't be used as an attribute name, or null when it can. */
export function keyProblem(key: string): string | null {
  const trimmed = key.trim();
  if (NAME_TERMINATORS.test(trimmed)) {
    return 'Attribute names can\'t contain spaces or any of { } ( ) = ~ ! < > & | ^ , "';
  }
  if (/^(\.|(span|resource|event|link|instrumentation)[.:]|trace:)$/.test(trimmed)) {
    return `Enter an attribute name after ${trimmed}`;
  }
  return null;
}

/** Checks durations (format, min below max) and attribute conditions (name and value given). */
export function validateForm(form: SearchForm): FormErrors {
  const errors: FormErrors = {};
  const min = form.minDuration.trim() ? parseDuration(form.minDuration) : undefined;
  const max = form.maxDuration.trim() ? parseDuration(form.maxDuration) : undefined;
  if (min === null) errors.minDuration = DURATION_HINT;
  if (max === null) errors.maxDuration = DURATION_HINT;
  if (typeof min === "number" && typeof max === "number" && max <= min) {
    errors.maxDuration = "Must be longer than the min duration.";
  }
  form.conditions.forEach((c, index) => {
    const key = c.key.trim();
    const value = c.value.trim();
    let problem: string | null = null;
    if (!key && !value) return;
    if (!key) problem = "Enter an attribute name.";
    else if (!value) problem = `Enter a value for ${key}.`;
    else problem = keyProblem(key);
    if (problem) errors.conditions = { ...errors.conditions, [index]: problem };
  });
  return errors;
}

/** Whether `errors` has any problem. */
export function hasErrors(errors: FormErrors): boolean {
  return Boolean(
    errors.minDuration || errors.maxDuration || Object.keys(errors.conditions ?? {}).length,
  );
}

/** `key` as a TraceQL attribute: intrinsics and scoped names as typed, others as `.key` (any scope). */
export function attributeName(key: string): string {
  const trimmed = key.trim();
  if (INTRINSICS.includes(trimmed) || SCOPED.test(trimmed)) return trimmed;
  return `.${trimmed}`;
}

/**
 * The TraceQL literal for a value typed in the form: numbers and `true`/`false` unquoted, status
 * and kind keywords and durations (of duration fields) unquoted, everything else a quoted string.
 * Regex operators always take a string. Wrapping the value in double quotes forces a string.
 */
export function formatValue(key: string, op: Operator, raw: string): string {
  const value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return quoteString(value.slice(1, -1));
  }
  if (op === "=~" || op === "!~") return quoteString(value);
  if (/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) return value;
  if (value === "true" || value === "false") return value;
  const name = attributeName(key);
  if (KEYWORD_VALUES[name]?.includes(value)) return value;
  if (DURATION_FIELDS.includes(name) && parseDuration(value) !== null) return value;
  return quoteString(value);
}

/** The TraceQL text of one complete condition. */
function conditionText(c: Condition): string {
  return `${attributeName(c.key)} ${c.op} ${formatValue(c.key, c.op, c.value)}`;
}

/**
 * The TraceQL query of the form: every filled-in, valid field joined with `&&` in one spanset,
 * e.g. `{ resource.service.name = "checkout" && duration > 100ms }`; `{}` when nothing is chosen.
 * Invalid fields (see `validateForm`) are left out.
 */
export function buildTraceQL(form: SearchForm): string {
  const parts: string[] = [];
  if (form.service.trim()) parts.push(`resource.service.name = ${quoteString(form.service.trim())}`);
  if (form.spanName.trim()) parts.push(`name = ${quoteString(form.spanName.trim())}`);
  for (const c of form.conditions) {
    if (c.key.trim() && c.value.trim() && keyProblem(c.key) === null) parts.push(conditionText(c));
  }
  const field = form.durationOf === "trace" ? "traceDuration" : "duration";
  if (parseDuration(form.minDuration) !== null) parts.push(`${field} > ${form.minDuration.trim()}`);
  if (parseDuration(form.maxDuration) !== null) parts.push(`${field} < ${form.maxDuration.trim()}`);
  return parts.length === 0 ? "{}" : `{ ${parts.join(" && ")} }`;
}

/** The form text showing a string literal's content so that `formatValue` gives it back quoted. */
function stringFormText(key: string, op: Operator, content: string): string {
  return formatValue(key, op, content) === quoteString(content) ? content : `"${content}"`;
}

/**
 * The form for `q` when it is one spanset of `&&`-joined comparisons the form can show (as
 * `buildTraceQL` writes them); null for anything else (`||`, pipelines, several spansets, …).
 */
export function parseSearchForm(q: string): SearchForm | null {
  const tokens = lexTraceQL(q.trim() === "" ? "{}" : q).filter((t) => t.kind !== "space");
  if (tokens[0]?.kind !== "open" || tokens[tokens.length - 1]?.kind !== "close") return null;
  const form: SearchForm = { ...EMPTY_FORM, conditions: [] };
  const body = tokens.slice(1, -1);
  let durationField: string | null = null;
  for (let i = 0; i < body.length; i += 4) {
    const [key, op, value, and] = body.slice(i, i + 4);
    if (key?.kind !== "word" || op?.kind !== "op" || !value) return null;
    if (and && and.kind !== "and") return null;
    if (and && i + 4 >= body.length) return null;
    if (attributeName(key.text) !== key.text || keyProblem(key.text)) return null;
    const operator = op.text as Operator;
    const isString = value.kind === "string" && value.closed === true;
    if (!isString && value.kind !== "word") return null;
    const content = isString ? unquoteString(value.text) : value.text;
    if (isString && operator === "=" && key.text === "resource.service.name" && !form.service) {
      form.service = content;
    } else if (isString && operator === "=" && key.text === "name" && !form.spanName) {
      form.spanName = content;
    } else if (
      !isString &&
      (key.text === "duration" || key.text === "traceDuration") &&
      (durationField === null || durationField === key.text) &&
      parseDuration(content) !== null &&
      ((operator === ">" && !form.minDuration) || (operator === "<" && !form.maxDuration))
    ) {
      durationField = key.text;
      if (operator === ">") form.minDuration = content;
      else form.maxDuration = content;
    } else if (isString) {
      form.conditions.push({ key: key.text, op: operator, value: stringFormText(key.text, operator, content) });
    } else {
      if (formatValue(key.text, operator, content) !== content) return null;
      form.conditions.push({ key: key.text, op: operator, value: content });
    }
  }
  if (durationField === "traceDuration") form.durationOf = "trace";
  return form;
}
