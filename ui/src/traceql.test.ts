// Unit tests of the TraceQL helpers: lexing, quoting, value formatting, durations, building the
// query from the form and reading it back.
import {
  EMPTY_FORM,
  type SearchForm,
  buildTraceQL,
  formatValue,
  hasErrors,
  keyProblem,
  lexTraceQL,
  parseDuration,
  parseSearchForm,
  quoteString,
  unquoteString,
  validateForm,
} from "./traceql";

const form = (change: Partial<SearchForm>): SearchForm => ({ ...EMPTY_FORM, ...change });

test("the lexer covers every character and keeps strings whole", () => {
  const text = '{ span.a = "x && y" && name!="b\\"c" }';
  const tokens = lexTraceQL(text);
  expect(tokens.map((t) => t.text).join("")).toBe(text);
  expect(tokens.filter((t) => t.kind !== "space").map((t) => t.kind)).toEqual([
    "open", "word", "op", "string", "and", "word", "op", "string", "close",
  ]);
  expect(tokens.find((t) => t.kind === "string")?.text).toBe('"x && y"');
  const unclosed = lexTraceQL('{ name = "GET /c').at(-1);
  expect(unclosed).toMatchObject({ kind: "string", text: '"GET /c', closed: false });
  expect(lexTraceQL("a=~b !~ c >= 1 <= 2 ! x || y").filter((t) => t.kind !== "space").map((t) => t.text))
    .toEqual(["a", "=~", "b", "!~", "c", ">=", "1", "<=", "2", "!", "x", "||", "y"]);
});

test("strings are quoted with backslashes and double quotes escaped, and read back", () => {
  expect(quoteString("checkout")).toBe('"checkout"');
  expect(quoteString('say "hi"')).toBe('"say \\"hi\\""');
  expect(quoteString("C:\\temp")).toBe('"C:\\\\temp"');
  for (const s of ["plain", 'a"b', "back\\slash", '\\"', "", "tab\there"]) {
    expect(unquoteString(quoteString(s))).toBe(s);
  }
  expect(unquoteString('"line\\nbreak"')).toBe("line\nbreak");
  expect(unquoteString('"unfinished')).toBe("unfinished");
  expect(unquoteString('"a\\\\"')).toBe("a\\");
});

test("values: numbers, booleans, keywords and durations unquoted; everything else a string", () => {
  expect(formatValue("span.http.route", "=", "/cart")).toBe('"/cart"');
  expect(formatValue("span.http.status_code", ">=", "500")).toBe("500");
  expect(formatValue("span.ratio", "<", "-0.5")).toBe("-0.5");
  expect(formatValue("span.ratio", "<", "1e3")).toBe("1e3");
  expect(formatValue("span.cached", "=", "true")).toBe("true");
  expect(formatValue("status", "=", "error")).toBe("error");
  expect(formatValue("kind", "!=", "server")).toBe("server");
  expect(formatValue("span.kind", "=", "server")).toBe('"server"');
  expect(formatValue("duration", ">", "1.5s")).toBe("1.5s");
  expect(formatValue("span.timeout", "=", "1.5s")).toBe('"1.5s"');
  // Quotes force a string; regex operators always take one.
  expect(formatValue("span.code", "=", '"200"')).toBe('"200"');
  expect(formatValue("span.code", "=~", "2..")).toBe('"2.."');
  expect(formatValue("name", "=~", "GET .*")).toBe('"GET .*"');
  expect(formatValue("span.msg", "=", 'he said "no"')).toBe('"he said \\"no\\""');
  expect(formatValue("span.x", "=", "  padded ")).toBe('"padded"');
});

test("durations take a number and a unit", () => {
  expect(parseDuration("100ms")).toBe(100e6);
  expect(parseDuration("1.5s")).toBe(1.5e9);
  expect(parseDuration("2m")).toBe(120e9);
  expect(parseDuration(" 1m30s ")).toBe(90e9);
  expect(parseDuration("250us")).toBe(250e3);
  expect(parseDuration("250µs")).toBe(250e3);
  expect(parseDuration("1h")).toBe(3600e9);
  for (const bad of ["", "100", "ms", "1.5 s", "1x", "-1s", "1s foo", "abc"]) {
    expect(parseDuration(bad)).toBeNull();
  }
});

test("the form is validated: duration format, min below max, complete conditions", () => {
  expect(validateForm(EMPTY_FORM)).toEqual({});
  expect(hasErrors(validateForm(form({ minDuration: "100ms", maxDuration: "2s" })))).toBe(false);
  const bad = validateForm(form({ minDuration: "100", maxDuration: "fast" }));
  expect(bad.minDuration).toMatch(/number and a unit, like 100ms/);
  expect(bad.maxDuration).toMatch(/number and a unit/);
  expect(validateForm(form({ minDuration: "2s", maxDuration: "1s" })).maxDuration).toMatch(
    /longer than the min/,
  );
  const conditions = validateForm(
    form({
      conditions: [
        { key: "", op: "=", value: "" },
        { key: "span.http.route", op: "=", value: "" },
        { key: "", op: "=", value: "x" },
        { key: "span.bad key", op: "=", value: "x" },
        { key: "span.", op: "=", value: "x" },
        { key: "span.ok", op: "=", value: "x" },
      ],
    }),
  ).conditions;
  expect(conditions?.[0]).toBeUndefined();
  expect(conditions?.[1]).toBe("Enter a value for span.http.route.");
  expect(conditions?.[2]).toBe("Enter an attribute name.");
  expect(conditions?.[3]).toMatch(/can't contain spaces/);
  expect(conditions?.[4]).toMatch(/after span\./);
  expect(conditions?.[5]).toBeUndefined();
  expect(keyProblem("resource.service.name")).toBeNull();
});

test("the form builds one spanset joined with &&", () => {
  expect(buildTraceQL(EMPTY_FORM)).toBe("{}");
  expect(
    buildTraceQL(
      form({
        service: "checkout",
        spanName: "GET /cart",
        conditions: [{ key: "span.http.route", op: "=", value: "/cart" }],
        minDuration: "100ms",
      }),
    ),
  ).toBe(
    '{ resource.service.name = "checkout" && name = "GET /cart" && span.http.route = "/cart" && duration > 100ms }',
  );
  expect(
    buildTraceQL(
      form({
        service: 'we"ird\\',
        conditions: [
          { key: "http.status_code", op: ">=", value: "500" },
          { key: "status", op: "=", value: "error" },
          { key: "", op: "=", value: "" },
          { key: "span.half", op: "=", value: "" },
        ],
        minDuration: "1s",
        maxDuration: "2m",
        durationOf: "trace",
      }),
    ),
  ).toBe(
    '{ resource.service.name = "we\\"ird\\\\" && .http.status_code >= 500 && status = error && traceDuration > 1s && traceDuration < 2m }',
  );
  // Invalid durations are left out (the form shows the error).
  expect(buildTraceQL(form({ minDuration: "100", maxDuration: "2s" }))).toBe("{ duration < 2s }");
});

test("simple queries read back into the form, and build to the same text", () => {
  const queries = [
    "{}",
    '{ resource.service.name = "checkout" }',
    '{ resource.service.name = "checkout" && name = "GET /cart" && span.http.route = "/cart" && duration > 100ms }',
    '{ span.code = "200" && span.n = 3 && span.ok = false && status = error && kind = client }',
    '{ name =~ "GET .*" && resource.service.name != "ad" && .x = "a\\"b" }',
    "{ traceDuration > 1s && traceDuration < 2m }",
    '{ span.q = "\\"x\\"" }',
    '{ resource.service.name = "a" && resource.service.name = "b" }',
  ];
  for (const q of queries) {
    const parsed = parseSearchForm(q);
    expect(parsed, q).not.toBeNull();
    expect(buildTraceQL(parsed!), q).toBe(q);
  }
  expect(parseSearchForm('{ resource.service.name = "checkout" && duration > 100ms }')).toEqual(
    form({ service: "checkout", minDuration: "100ms" }),
  );
  expect(parseSearchForm('{ span.code = "200" }')?.conditions).toEqual([
    { key: "span.code", op: "=", value: '"200"' },
  ]);
  expect(parseSearchForm("")).toEqual(EMPTY_FORM);
  expect(parseSearchForm("{ }")).toEqual(EMPTY_FORM);
});

test("queries the form can't show are not read into it", () => {
  for (const q of [
    "{ status = error } && { kind = server }",
    "{ status = error || kind = server }",
    "{ status = error } | count() > 2",
    "{ (status = error) }",
    "{ http.route = 1 }",
    "{ span.x = nil }",
    '{ name = "unfinished }',
    "{ status = error && }",
    "{ status = error kind = server }",
    "status = error",
    "{ status = }",
  ]) {
    expect(parseSearchForm(q), q).toBeNull();
  }
});
