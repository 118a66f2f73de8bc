// Tests of the tag discovery calls: the URLs they ask for and how they read Tempo's answers.
import { scopedTags, serviceNames, spanNames, tagNames, tagValues } from "./tempo";

const bounds = { start: 1700000000, end: 1700003600 };

function respond(body: unknown, status = 200) {
  const fetchMock = vi.fn(async (_url: string) =>
    new Response(typeof body === "string" ? body : JSON.stringify(body), {
      status,
      statusText: status === 200 ? "OK" : "Bad Request",
    }),
  );
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

/** The path and parameters of the nth request. */
function requested(fetchMock: ReturnType<typeof respond>, n = 0) {
  const url = new URL(fetchMock.mock.calls[n][0], "http://x");
  return { path: url.pathname, params: Object.fromEntries(url.searchParams) };
}

afterEach(() => vi.unstubAllGlobals());

test("tag names of a scope within the range", async () => {
  const fetchMock = respond({ scopes: [{ name: "span", tags: ["http.route", "db.system"] }] });
  expect(await tagNames("span", bounds)).toEqual(["http.route", "db.system"]);
  expect(requested(fetchMock)).toEqual({
    path: "/api/v2/search/tags",
    params: { scope: "span", start: "1700000000", end: "1700003600" },
  });
});

test("span and resource tags come from two scoped requests", async () => {
  const fetchMock = vi.fn(async (url: string) => {
    const scope = new URL(url, "http://x").searchParams.get("scope");
    return new Response(JSON.stringify({ scopes: [{ name: scope, tags: [`${scope}.tag`] }] }));
  });
  vi.stubGlobal("fetch", fetchMock);
  expect(await scopedTags(bounds, "{ status = error }")).toEqual({
    span: ["span.tag"],
    resource: ["resource.tag"],
  });
  expect(fetchMock).toHaveBeenCalledTimes(2);
  expect(requested(fetchMock).params.q).toBe("{ status = error }");
});

test("tag values keep their type; the tag is escaped in the path", async () => {
  const fetchMock = respond({
    tagValues: [
      { type: "int", value: "200" },
      { type: "int", value: "500" },
    ],
  });
  expect(await tagValues("span.http.response.status_code", bounds, "{ }")).toEqual([
    { type: "int", value: "200" },
    { type: "int", value: "500" },
  ]);
  expect(requested(fetchMock)).toEqual({
    path: "/api/v2/search/tag/span.http.response.status_code/values",
    params: { q: "{ }", start: "1700000000", end: "1700003600" },
  });
  await tagValues("span.a/b", bounds);
  expect(fetchMock.mock.calls[1][0]).toMatch(/^\/api\/v2\/search\/tag\/span\.a%2Fb\/values\?/);
});

test("missing lists read as empty", async () => {
  respond({});
  expect(await tagValues("name", bounds)).toEqual([]);
  expect(await tagNames("resource", bounds)).toEqual([]);
});

test("service names are sorted; span names narrow to the service", async () => {
  let fetchMock = respond({
    tagType: "string",
    tagValues: [
      { type: "string", value: "frontend" },
      { type: "string", value: "checkout" },
    ],
  });
  expect(await serviceNames(bounds)).toEqual(["checkout", "frontend"]);
  expect(requested(fetchMock).path).toBe("/api/v2/search/tag/resource.service.name/values");
  fetchMock = respond({ tagValues: [{ type: "string", value: "GET /cart" }] });
  expect(await spanNames(bounds, 'check"out')).toEqual(["GET /cart"]);
  expect(requested(fetchMock)).toEqual({
    path: "/api/v2/search/tag/name/values",
    params: {
      q: '{ resource.service.name = "check\\"out" }',
      start: "1700000000",
      end: "1700003600",
    },
  });
  await spanNames(bounds);
  expect(requested(fetchMock, 1).params.q).toBeUndefined();
});

test("errors carry the status and the server's message", async () => {
  respond("invalid tag\n", 400);
  await expect(tagValues("{", bounds)).rejects.toThrow("400 Bad Request: invalid tag");
});
