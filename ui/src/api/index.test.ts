import { searchTraces } from "./index";

test("trace ids from Tempo's search get back their leading zeros", async () => {
  let asked = "";
  vi.stubGlobal("fetch", async (url: string) => {
    asked = url;
    return new Response(
      JSON.stringify({ traces: [{ traceID: "30261b74c9a5b063ccc8cb493047926", startTimeUnixNano: "1" }] }),
      { status: 200 },
    );
  });
  const traces = await searchTraces("{}", { start: 100, end: 200 });
  expect(traces[0].traceID).toBe("030261b74c9a5b063ccc8cb493047926");
  expect(asked).toContain("start=100");
  expect(asked).toContain("end=200");
  vi.unstubAllGlobals();
});
