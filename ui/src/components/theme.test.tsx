import { fireEvent, render, screen } from "@testing-library/react";

import { ThemePicker, applyTheme } from "./ThemePicker";

test("a chosen theme is applied and remembered; auto leaves it to the system", () => {
  localStorage.clear();
  render(<ThemePicker />);
  const root = document.documentElement;
  expect(root.hasAttribute("data-theme")).toBe(false);
  fireEvent.change(screen.getByLabelText(/Theme/), { target: { value: "dark" } });
  expect(root.getAttribute("data-theme")).toBe("dark");
  expect(localStorage.getItem("sightline.theme")).toBe("dark");
  applyTheme("auto");
  expect(root.hasAttribute("data-theme")).toBe(false);
});
