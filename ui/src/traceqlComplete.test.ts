// Unit tests of the TraceQL completion: attributes, operators and values at the cursor.
import type { ScopedTags, TagValue } from "./api/tempo";
import { type CompletionResult, applyCompletion, completeTraceQL } from "./traceqlComplete";

const tags: ScopedTags = {
  span: ["http.route", "http.response.status_code", "db.system"],
  resource: ["service.name", "deployment.environment.name"],
};
const values: Record<string, TagValue[]> = {
  "resource.service.name": [
    { type: "string", value: "cart" },
    { type: "string", value: "checkout" },
    { type: "string", value: 'we"ird' },
  ],
  "span.http.response.status_code": [
    { type: "int", value: "200" },
    { type: "int", value: "500" },
  ],
};

/** Completes with the cursor at `‸` in `marked`. */
function at(marked: string, known = values): CompletionResult & { text: string } {
  const cursor = marked.indexOf("‸");
  const text = marked.replace("‸", "");
  return { ...completeTraceQL(text, cursor, tags, known), text };
}
const labels = (r: CompletionResult) => r.options.map((o) => o.label);

test("after { or && come intrinsics and scoped attributes", () => {
  for (const marked of ["{ ‸", "{‸", '{ name = "x" && ‸', "{ status = error || ‸", "{ (‸", "{ !‸"]) {
    const r = at(marked);
    expect(r.kind, marked).toBe("attribute");
    expect(labels(r)).toEqual([
      "name", "status", "kind", "duration", "rootName", "rootServiceName", "traceDuration",
      "statusMessage", "resource.service.name", "resource.deployment.environment.name",
      "span.http.route", "span.http.response.status_code", "span.db.system",
    ]);
    expect(r.from).toBe(r.to);
  }
  expect(at("{ ‸").options[0]).toEqual({ label: "name", insert: "name ", detail: "intrinsic" });
  expect(at("{ ‸").options.find((o) => o.label === "span.http.route")?.detail).toBe("span");
});

test("a partial attribute narrows the options: prefix matches first, then substrings", () => {
  const r = at("{ span.ht‸");
  expect(r.kind).toBe("attribute");
  expect(labels(r)).toEqual(["span.http.route", "span.http.response.status_code"]);
  expect([r.from, r.to]).toEqual([2, 9]);
  expect(labels(at("{ ROUTE‸"))).toEqual(["span.http.route"]);
  expect(labels(at("{ na‸"))).toEqual([
    "name", "rootName", "rootServiceName", "resource.service.name",
    "resource.deployment.environment.name",
  ]);
  // The whole word under the cursor is replaced.
  const mid = at("{ span.h‸ttp.rou }");
  expect([mid.from, mid.to]).toEqual([2, 15]);
  expect(labels(at("{ zzz‸"))).toEqual([]);
});

test("outside a spanset, or in the middle of a condition, nothing is offered", () => {
  expect(at("‸").kind).toBe("none");
  expect(at("{ status = error }‸").kind).toBe("none");
  expect(at("{ status = error } ‸").kind).toBe("none");
  expect(at('{ name = "x" ‸').kind).toBe("none");
});

test("after an attribute come the operators", () => {
  const r = at("{ span.http.route ‸");
  expect(r.kind).toBe("operator");
  expect(labels(r)).toEqual(["=", "!=", "=~", "!~", ">", ">=", "<", "<="]);
  expect(labels(at("{ name !‸"))).toEqual(["!=", "!~"]);
  expect(labels(at("{ name =‸"))).toEqual(["=", "=~"]);
  expect(labels(at("{ duration >‸"))).toEqual([">", ">="]);
});

test("after <attribute> <operator> come its values, strings quoted and escaped", () => {
  const r = at("{ resource.service.name = ‸");
  expect(r.kind).toBe("value");
  expect(r.attribute).toBe("resource.service.name");
  expect(r.options).toEqual([
    { label: '"cart"', insert: '"cart" ', detail: "string" },
    { label: '"checkout"', insert: '"checkout" ', detail: "string" },
    { label: '"we\\"ird"', insert: '"we\\"ird" ', detail: "string" },
  ]);
  expect(labels(at("{ span.http.response.status_code >= ‸"))).toEqual(["200", "500"]);
  expect(labels(at("{ span.http.response.status_code = 5‸"))).toEqual(["500"]);
  // A started string narrows by its content, and is replaced whole.
  const quoted = at('{ resource.service.name = "ch‸');
  expect(labels(quoted)).toEqual(['"checkout"']);
  expect([quoted.from, quoted.to]).toEqual([26, 29]);
  expect(labels(at("{ resource.service.name = c‸"))).toEqual(['"cart"', '"checkout"']);
  // Regex operators take strings, whatever the type.
  expect(labels(at("{ span.http.response.status_code =~ ‸"))).toEqual(['"200"', '"500"']);
  // After && the next condition's values are offered.
  expect(at('{ name = "x" && resource.service.name != ‸').kind).toBe("value");
});

test("status and kind values are built in and unquoted", () => {
  expect(labels(at("{ status = ‸", {}))).toEqual(["error", "ok", "unset"]);
  expect(labels(at("{ kind != cl‸", {}))).toEqual(["client"]);
  expect(at("{ status = ‸", {}).needValues).toBeUndefined();
});

test("unknown values are asked for", () => {
  const r = at("{ span.db.system = ‸");
  expect(r).toMatchObject({ kind: "value", attribute: "span.db.system", needValues: "span.db.system" });
  expect(r.options).toEqual([]);
  expect(at("{ span.db.system = ‸", { "span.db.system": [] }).needValues).toBeUndefined();
});

test("nothing is offered when the only option is already typed", () => {
  expect(at('{ resource.service.name = "cart"‸').options).toEqual([]);
  expect(at("{ status = error‸", {}).options).toEqual([]);
  expect(labels(at("{ status = er‸", {}))).toEqual(["error"]);
});

test("accepting replaces the typed part and adds a space unless one follows", () => {
  const r = at("{ span.ht‸ }");
  const route = r.options.find((o) => o.label === "span.http.route")!;
  expect(route.insert).toBe("span.http.route");
  expect(applyCompletion(r.text, r, route)).toEqual({ text: "{ span.http.route }", cursor: 17 });
  const v = at('{ resource.service.name = "ch‸');
  expect(applyCompletion(v.text, v, v.options[0])).toEqual({
    text: '{ resource.service.name = "checkout" ',
    cursor: 37,
  });
  const o = at("{ name ‸");
  expect(applyCompletion(o.text, o, o.options[0])).toEqual({ text: "{ name = ", cursor: 9 });
});
