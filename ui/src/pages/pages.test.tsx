import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";

import { RuleGroups } from "./Alerts";
import { TraceTable, formatDuration } from "./Traces";

test("durations read like people say them", () => {
  expect(formatDuration(undefined)).toBe("<1 ms");
  expect(formatDuration(850)).toBe("850 ms");
  expect(formatDuration(1250)).toBe("1.25 s");
  expect(formatDuration(2000)).toBe("2 s");
  expect(formatDuration(125_000)).toBe("2 min 5 s");
});

test("the trace list shows root service, name, duration and links the trace", () => {
  render(
    <MemoryRouter>
      <TraceTable
      traces={[
        {
          traceID: "0af7651916cd43dd8448eb211c80319c",
          rootServiceName: "frontend",
          rootTraceName: "GET /checkout",
          startTimeUnixNano: "1700000000000000000",
          durationMs: 1250,
        },
      ]}
      />
    </MemoryRouter>,
  );
  expect(screen.getByText("frontend")).toBeTruthy();
  expect(screen.getByText("GET /checkout")).toBeTruthy();
  expect(screen.getByText("1.25 s")).toBeTruthy();
  const link = screen.getByText("0af7651916cd43dd8448eb211c80319c").closest("a");
  expect(link?.getAttribute("href")).toBe("/trace/0af7651916cd43dd8448eb211c80319c");
});

test("no traces says so", () => {
  render(
    <MemoryRouter>
      <TraceTable traces={[]} />
    </MemoryRouter>,
  );
  expect(screen.getByText("No traces match in this time range.")).toBeTruthy();
});

test("rules show their state, health, errors and active alerts", () => {
  render(
    <RuleGroups
      groups={[
        {
          name: "worker",
          file: "rules.yaml",
          interval: 15,
          rules: [
            {
              name: "QueueBacklog",
              query: "queue_depth > 5",
              state: "firing",
              health: "ok",
              lastEvaluation: "2026-01-01T00:10:00Z",
              alerts: [
                {
                  labels: { alertname: "QueueBacklog", queue: "emails" },
                  state: "firing",
                  activeAt: "2026-01-01T00:00:00Z",
                  value: "9e+00",
                },
              ],
            },
            {
              name: "Down",
              query: "up == 0",
              state: "inactive",
              health: "err",
              lastError: "query timed out",
              lastEvaluation: "0001-01-01T00:00:00Z",
            },
          ],
        },
      ]}
    />,
  );
  expect(screen.getByText("QueueBacklog")).toBeTruthy();
  expect(screen.getByText("queue_depth > 5")).toBeTruthy();
  expect(screen.getByText("queue=emails")).toBeTruthy();
  expect(screen.getByText("err: query timed out")).toBeTruthy();
  expect(screen.getByText("not yet")).toBeTruthy();
});

test("no rules explains how to add some", () => {
  render(<RuleGroups groups={[]} />);
  expect(screen.getByText(/No alerting rules/)).toBeTruthy();
});
