// The application shell: navigation and the pages. Every page keeps its query in the URL.
import { Suspense, lazy } from "react";
import { NavLink, Navigate, Route, Routes } from "react-router-dom";

import { AlertsPage } from "./pages/Alerts";
import { Loading } from "./components/Status";
import { ThemePicker } from "./components/ThemePicker";
import { LogsPage } from "./pages/Logs";
import { TracePage } from "./pages/Trace";
import { TracesPage } from "./pages/Traces";

// The chart library is large: the Metrics page loads it when first opened.
const MetricsPage = lazy(() => import("./pages/Metrics").then((m) => ({ default: m.MetricsPage })));
// So is the graph layout engine (ELK) of the service map; the Services page charts with ECharts.
const ServiceMapPage = lazy(() =>
  import("./pages/ServiceMap").then((m) => ({ default: m.ServiceMapPage })),
);
const ServicesPage = lazy(() => import("./pages/Services").then((m) => ({ default: m.ServicesPage })));

const PAGES = [
  { path: "/traces", label: "Traces" },
  { path: "/service-map", label: "Service map" },
  { path: "/services", label: "Services" },
  { path: "/logs", label: "Logs" },
  { path: "/metrics", label: "Metrics" },
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
        <ThemePicker />
      </header>
      <main>
        <Routes>
          <Route path="/" element={<Navigate to="/traces" replace />} />
          <Route path="/traces" element={<TracesPage />} />
          <Route path="/trace/:traceId" element={<TracePage />} />
          <Route
            path="/service-map"
            element={
              <Suspense fallback={<Loading />}>
                <ServiceMapPage />
              </Suspense>
            }
          />
          <Route
            path="/services"
            element={
              <Suspense fallback={<Loading />}>
                <ServicesPage />
              </Suspense>
            }
          />
          <Route path="/logs" element={<LogsPage />} />
          <Route
            path="/metrics"
            element={
              <Suspense fallback={<Loading />}>
                <MetricsPage />
              </Suspense>
            }
          />
          <Route path="/alerts" element={<AlertsPage />} />
          <Route path="*" element={<p className="empty">No such page.</p>} />
        </Routes>
      </main>
    </div>
  );
}
