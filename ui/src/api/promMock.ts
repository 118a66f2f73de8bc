// Test helpers (imported by tests only): a fake `fetch` that answers the UI's API calls from a
// function, and Prometheus vector/matrix replies.

/** A request the fake fetch received. */
export interface Call {
  path: string;
  params: URLSearchParams;
}

/** A reply with a status other than 200. */
export interface Reply {
  status: number;
  body: unknown;
}

/** A Prometheus instant-query reply: `[labels, value]` per sample, at `time`. */
export function vector(samples: [Record<string, string>, number | string][], time = 1700003600) {
  return {
    status: "success",
    data: {
      resultType: "vector",
      result: samples.map(([metric, value]) => ({ metric, value: [time, String(value)] })),
    },
  };
}

/** A Prometheus range-query reply: `[labels, [[t, value], ...]]` per series. */
export function matrix(series: [Record<string, string>, [number, number | string][]][]) {
  return {
    status: "success",
    data: {
      resultType: "matrix",
      result: series.map(([metric, values]) => ({
        metric,
        values: values.map(([t, v]) => [t, String(v)]),
      })),
    },
  };
}

/** A Prometheus error reply. */
export function promError(message: string, status = 422): Reply {
  return { status, body: { status: "error", errorType: "bad_data", error: message } };
}

function isReply(value: unknown): value is Reply {
  return typeof value === "object" && value !== null && "status" in value && "body" in value;
}

/** Replaces `fetch` with one answering from `answer`; returns the calls it receives. */
export function stubFetch(answer: (call: Call) => unknown): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string | URL) => {
      const url = new URL(String(input), "http://localhost");
      const call = { path: url.pathname, params: url.searchParams };
      calls.push(call);
      const answered = answer(call);
      const { status, body } = isReply(answered) ? answered : { status: 200, body: answered };
      return {
        ok: status >= 200 && status < 300,
        status,
        statusText: status === 200 ? "OK" : "Error",
        json: async () => body,
        text: async () => JSON.stringify(body),
      };
    }),
  );
  return calls;
}

/** Silences jsdom's "getContext is not implemented" (ECharts measures text without it). */
export function withoutCanvas() {
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(() => null);
}
