// Light, dark, or whatever the system prefers; remembered in this browser.
import { useEffect, useState } from "react";

export type Theme = "auto" | "light" | "dark";
const KEY = "sightline.theme";

/** Applies `theme` to the document (`auto` leaves it to the system). */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement) {
  if (theme === "auto") root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", theme);
}

export function ThemePicker() {
  const [theme, setTheme] = useState<Theme>(
    () => (localStorage.getItem(KEY) as Theme | null) ?? "auto",
  );
  useEffect(() => {
    applyTheme(theme);
    localStorage.setItem(KEY, theme);
  }, [theme]);
  return (
    <label className="theme">
      Theme{" "}
      <select value={theme} onChange={(event) => setTheme(event.target.value as Theme)}>
        <option value="auto">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
