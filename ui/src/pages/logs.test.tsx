import { fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";

import { LogList, Volume } from "./Logs";

const line = {
  time: "1700000000000000000",
  timestamp: "2023-11-14T22:13:20Z",
  line: "connection refused by upstream",
  service: "cart",
  level: "error",
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  labels: { service_name: "cart" },
  metadata: { "http.route": "/cart" },
};

test("lines show level, service and a trace link, and open their attributes", () => {
  render(
    <MemoryRouter>
      <LogList lines={[line]} />
    </MemoryRouter>,
  );
  expect(screen.getByText("connection refused by upstream")).toBeTruthy();
  const link = screen.getByText("trace").closest("a");
  expect(link?.getAttribute("href")).toBe("/trace/0af7651916cd43dd8448eb211c80319c");
  expect(screen.queryByText("http.route")).toBeNull();
  fireEvent.click(screen.getByText("connection refused by upstream"));
  expect(screen.getByText("http.route")).toBeTruthy();
  expect(screen.getByText("/cart")).toBeTruthy();
});

test("the volume shows one bar per interval and the total", () => {
  const { container } = render(
    <Volume
      buckets={[
        { time: "1700000000000000000", count: 3, levels: { info: 3 } },
        { time: "1700000060000000000", count: 1, levels: { error: 1 } },
      ]}
    />,
  );
  expect(container.querySelectorAll(".bar").length).toBe(2);
  expect(container.querySelectorAll(".bar.has-errors").length).toBe(1);
  expect(screen.getByText("4 matching lines")).toBeTruthy();
});

test("no lines says so", () => {
  render(<LogList lines={[]} />);
  expect(screen.getByText("No lines match in this time range.")).toBeTruthy();
});
