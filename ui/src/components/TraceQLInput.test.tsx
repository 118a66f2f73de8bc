// Tests of the TraceQL box's autocomplete: the listbox, keyboard and mouse, and value loading.
import { act, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";

import type { ScopedTags, TagValue } from "../api/tempo";
import { TraceQLInput } from "./TraceQLInput";

const tags: ScopedTags = { span: ["http.route"], resource: ["service.name"] };

function Box(props: { initial?: string; loadValues?: (tag: string) => Promise<TagValue[]> }) {
  const [value, setValue] = useState(props.initial ?? "");
  const [loadValues] = useState(() => props.loadValues ?? (async () => []));
  return <TraceQLInput value={value} onChange={setValue} tags={tags} loadValues={loadValues} />;
}

const box = () => screen.getByLabelText("TraceQL") as HTMLInputElement;
const type = (text: string) => fireEvent.change(box(), { target: { value: text } });
const options = () => screen.queryAllByRole("option").map((o) => o.textContent);
const key = (k: string, init: object = {}) => fireEvent.keyDown(box(), { key: k, ...init });

test("typing after { opens a listbox of attributes; arrows move and Enter accepts", () => {
  render(<Box />);
  expect(screen.queryByRole("listbox")).toBeNull();
  type("{ ");
  const listbox = screen.getByRole("listbox");
  expect(box().getAttribute("aria-expanded")).toBe("true");
  expect(box().getAttribute("aria-controls")).toBe(listbox.id);
  expect(options()).toContain("resource.service.nameresource");
  expect(screen.getAllByRole("option")[0].getAttribute("aria-selected")).toBe("true");
  key("ArrowDown");
  key("ArrowDown");
  key("ArrowUp");
  const active = screen.getAllByRole("option")[1];
  expect(active.getAttribute("aria-selected")).toBe("true");
  expect(box().getAttribute("aria-activedescendant")).toBe(active.id);
  key("Enter");
  expect(box().value).toBe("{ status ");
  // Then come the operators.
  expect(options().slice(0, 2)).toEqual(["=operator", "!=operator"]);
});

test("Tab accepts, Escape closes, Ctrl+Space reopens", () => {
  render(<Box />);
  type("{ span.ht");
  expect(options()).toEqual(["span.http.routespan"]);
  key("Escape");
  expect(screen.queryByRole("listbox")).toBeNull();
  key(" ", { ctrlKey: true });
  expect(options()).toEqual(["span.http.routespan"]);
  key("Tab");
  expect(box().value).toBe("{ span.http.route ");
});

test("clicking an option accepts it", () => {
  render(<Box />);
  type("{ sta");
  fireEvent.click(screen.getByText("status"));
  expect(box().value).toBe("{ status ");
});

test("Enter without a listbox is left to the form; with one it only accepts", () => {
  render(<Box initial="{ status = error }" />);
  // fireEvent returns false when the default (submitting the form) was prevented.
  expect(fireEvent.keyDown(box(), { key: "Enter" })).toBe(true);
  type("{ status = error && ");
  expect(fireEvent.keyDown(box(), { key: "Enter" })).toBe(false);
  expect(box().value).toBe("{ status = error && name ");
});

test("values are loaded once per attribute and offered quoted", async () => {
  const loadValues = vi.fn(async (tag: string) =>
    tag === "resource.service.name"
      ? [
          { type: "string", value: "cart" },
          { type: "string", value: "checkout" },
        ]
      : [],
  );
  render(<Box loadValues={loadValues} />);
  await act(async () => type("{ resource.service.name = "));
  expect(loadValues).toHaveBeenCalledWith("resource.service.name");
  expect(options()).toEqual(['"cart"string', '"checkout"string']);
  await act(async () => type('{ resource.service.name = "che'));
  expect(options()).toEqual(['"checkout"string']);
  key("Enter");
  expect(box().value).toBe('{ resource.service.name = "checkout" ');
  await act(async () => type("{ resource.service.name = "));
  expect(loadValues).toHaveBeenCalledTimes(1);
});

test("status values need no request", () => {
  const loadValues = vi.fn(async () => []);
  render(<Box loadValues={loadValues} />);
  type("{ status = ");
  expect(options()).toEqual(["errorkeyword", "okkeyword", "unsetkeyword"]);
  expect(loadValues).not.toHaveBeenCalled();
});
