// The application shell: navigation and the pages. Every page keeps its query in the URL.
import { NavLink, Navigate, Route, Routes } from "react-router-dom";

import { AlertsPage } from "./pages/Alerts";
import { TracesPage } from "./pages/Traces";

const PAGES = [
  { path: "/traces", label: "Traces" },
  { path: "/alerts", label: "Alerts" },
];

export function App() {
  return (
    <div className="app">
      <header className="top">
        <span className="brand">Sightline</span>
        <nav aria-label="Main">
          {PAGES.map((page) => (
            <NavLink key={page.path} to={page.path}>
              {page.label}
            </NavLink>
          ))}
        </nav>
      </header>
      <main>
        <Routes>
          <Route path="/" element={<Navigate to="/traces" replace />} />
          <Route path="/traces" element={<TracesPage />} />
          <Route path="/alerts" element={<AlertsPage />} />
          <Route path="*" element={<p className="empty">No such page.</p>} />
        </Routes>
      </main>
    </div>
  );
}
