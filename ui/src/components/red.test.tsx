// The RED charts' own states: no data, and a load that fails.
import { render, screen } from "@testing-library/react";

import { matrix, promError, stubFetch, withoutCanvas } from "../api/promMock";
import { RedChart } from "./RedChart";
import { ServiceRed } from "./ServiceRed";

const hour = { kind: "relative", seconds: 3600 } as const;

beforeEach(() => withoutCanvas());
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

test("a chart without points says so instead of drawing axes", () => {
  const { container } = render(
    <RedChart title="Errors" unit="percent" start={0} end={3600} lines={[{ name: "errors %", points: [[0, null]] }]} />,
  );
  expect(screen.getByText("No data in this time range.")).toBeTruthy();
  expect(container.querySelector("svg")).toBeNull();
});

test("a service without series in the range says so; a failed load shows the error", async () => {
  stubFetch(() => matrix([]));
  const { unmount } = render(<ServiceRed service="cart" range={hour} />);
  expect(await screen.findByText("No span metrics for cart in this time range.")).toBeTruthy();
  unmount();
  stubFetch(() => promError("too many samples"));
  render(<ServiceRed service="cart" range={hour} allKinds />);
  expect((await screen.findByRole("alert")).textContent).toBe("too many samples");
});
