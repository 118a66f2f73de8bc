// Vite builds the UI into SIGHTLINE_UI_OUT (set by the binary's build script) or dist/.
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: process.env.SIGHTLINE_UI_OUT ?? "dist",
    emptyOutDir: true,
    // The chart library (ECharts, with the Metrics page) and the graph layout engine (ELK,
    // with the service map) are large chunks loaded with their pages.
    chunkSizeWarningLimit: 1600,
  },
  server: {
    // `npm exec vite` during development talks to a local `sightline serve`.
    proxy: {
      "/api": "http://127.0.0.1:3200",
      "/jaeger": "http://127.0.0.1:3200",
      "/loki": "http://127.0.0.1:3200",
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
  },
});
