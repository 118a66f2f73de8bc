// Drives the web UI in a real browser (Debian's chromium through playwright-core) against a
// running `sightline serve`: every page is opened, checked for what it must show, and
// screenshotted at 1280x800. Exits non-zero with the reason when a check fails.
//
// Usage: node ui/e2e/browser.mjs --url http://127.0.0.1:3200 --out DIR \
//          --service web --trace <32 hex> --rule QueueBacklog --metric ALERTS --log-word declined \
//          --callee orders [--big-trace <32 hex> --big-spans 10001 --big-last <last span's name>] \
//          [--traced-log <trace id of a logged line whose spans are stored>]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    out: { type: "string" },
    service: { type: "string" },
    trace: { type: "string" },
    rule: { type: "string" },
    metric: { type: "string" },
    "log-word": { type: "string" },
    callee: { type: "string" },
    "big-trace": { type: "string" },
    "big-spans": { type: "string" },
    "big-last": { type: "string" },
    "traced-log": { type: "string" },
  },
});
mkdirSync(args.out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const checked = [];
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
// API requests still in flight, to say what a page was waiting for when a check times out.
const pending = new Map();
page.on("request", (request) => pending.set(request, Date.now()));
page.on("requestfinished", (request) => pending.delete(request));
page.on("requestfailed", (request) => pending.delete(request));
try {
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // The waterfall of a trace whose spans are not stored answers 404 (the page says so).
    const expected =
      message.text().includes("status of 404") &&
      /\/api\/ui\/traces\/[0-9a-f]+\/waterfall/.test(message.location().url ?? "");
    if (!expected) problems.push(`console error: ${message.text()} (${message.location().url})`);
  });

  // Traces: the root page redirects here; a TraceQL search finds the exported trace.
  await page.goto(`${args.url}/`);
  await page.waitForURL(/\/traces/);
  await page.getByRole("navigation", { name: "Main" }).getByText("Traces").waitFor();
  const query = page.getByLabel("TraceQL");
  await query.fill(`{ resource.service.name = "${args.service}" }`);
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/q=/);
  await page.getByText(args.trace).waitFor({ timeout: 15000 });
  const rows = await page.locator("table.list tbody tr").count();
  await page.locator(".scatter svg").waitFor({ timeout: 15000 });
  await page.screenshot({ path: join(args.out, "traces.png"), fullPage: true });
  checked.push({ page: "traces", rows });

  // The search is deep-linkable: reloading the URL shows the same trace.
  await page.reload();
  await page.getByText(args.trace).waitFor({ timeout: 15000 });
  checked.push({ page: "traces (reloaded)" });

  // The search form: the service chosen from the tag values writes the TraceQL and finds it.
  await page.goto(`${args.url}/traces`);
  await page.getByRole("tab", { name: "Search" }).click();
  const serviceChoice = page.locator(".trace-form label", { hasText: /^Service/ }).locator("select");
  await serviceChoice.locator("option", { hasText: args.service }).first().waitFor({ state: "attached", timeout: 15000 });
  await serviceChoice.selectOption(args.service);
  const written = await page.getByLabel("TraceQL").inputValue();
  if (!written.includes(`resource.service.name = "${args.service}"`)) {
    throw new Error(`the form wrote ${written}`);
  }
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText(args.trace).waitFor({ timeout: 15000 });
  const services = await page.locator("table.list td.services").first().textContent();
  if (!services?.includes(args.callee)) throw new Error(`services involved: ${services}`);
  checked.push({ page: "traces (form)", services });

  // TraceQL completions come from the tag APIs: attribute names, then values.
  await page.getByRole("tab", { name: "TraceQL" }).click();
  const box = page.getByLabel("TraceQL");
  await box.fill("{ resource.service.name = ");
  await page.getByRole("option", { name: `"${args.service}"` }).first().waitFor({ timeout: 15000 });
  await box.press("Escape");
  await box.fill("{ resource.serv");
  await page.getByRole("option", { name: "resource.service.name" }).first().waitFor({ timeout: 15000 });
  await box.press("Escape");
  checked.push({ page: "traces (completions)" });

  // An absolute time range (custom from/to) lives in the URL and still finds the trace.
  await box.fill(`{ resource.service.name = "${args.service}" }`);
  await page.getByLabel("Time range").selectOption({ label: "Custom range…" });
  const [from, to] = await page.evaluate(() => {
    const local = (millis) => {
      const d = new Date(millis);
      const pad = (n) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    };
    return [local(Date.now() - 3600_000), local(Date.now() + 120_000)];
  });
  await page.getByLabel("From", { exact: true }).fill(from);
  await page.getByLabel("To", { exact: true }).fill(to);
  await page.getByRole("button", { name: "Apply range" }).click();
  await page.waitForURL(/from=\d+&to=\d+/);
  await page.getByText(args.trace).waitFor({ timeout: 15000 });
  await page.reload();
  await page.getByText(args.trace).waitFor({ timeout: 15000 });
  if ((await page.getByLabel("Time range").inputValue()) !== "custom") {
    throw new Error("the absolute range did not survive a reload");
  }
  await page.screenshot({ path: join(args.out, "traces-absolute-range.png"), fullPage: true });
  checked.push({ page: "traces (absolute range)", from, to });
  await page.goto(`${args.url}/traces?q=${encodeURIComponent(`{ resource.service.name = "${args.service}" }`)}`);
  await page.getByText(args.trace).waitFor({ timeout: 15000 });

  // Trace view: the trace opens from its row, with one waterfall row per span; a subtree folds.
  await page.getByText(args.trace).click();
  await page.waitForURL(new RegExp(`/trace/${args.trace}`));
  const summary = await page.locator(".trace-summary").textContent({ timeout: 15000 });
  const spanCount = Number(/^(\d+) spans/.exec(summary ?? "")?.[1]);
  await page.locator(".span-row:not(.loading)").nth(spanCount - 1).waitFor({ timeout: 15000 });
  const spanRows = await page.locator(".span-row").count();
  if (spanRows !== spanCount) throw new Error(`${spanRows} rows for ${spanCount} spans`);
  // The critical path is marked, the minimap drawn, a span's details open beside the rows.
  const critical = await page.locator(".span-row.critical").count();
  if (critical < 1) throw new Error("no span is on the critical path");
  await page.locator(".minimap .minimap-bar").first().waitFor({ state: "attached" });
  await page.locator(".span-row .span-name").first().click();
  await page.waitForURL(/span=/);
  const details = page.getByRole("complementary", { name: "Span details" });
  await details.getByText("Resource attributes").waitFor({ timeout: 15000 });
  await details.getByText("service.name", { exact: true }).waitFor();
  await details.getByText("Span attributes").waitFor();
  // Find in trace: the callee's spans are found and counted.
  await page.getByLabel("Find in trace").fill(args.callee);
  await page.getByRole("button", { name: "Find", exact: true }).click();
  const found = await page.locator(".find-result").textContent({ timeout: 15000 });
  if (!/of \d+/.test(found ?? "")) throw new Error(`find in trace says: ${found}`);
  await page.locator(".span-row.matched").first().waitFor();
  await page.locator(".trace-logs-section h2").waitFor();
  await page.screenshot({ path: join(args.out, "trace.png"), fullPage: true });
  // The selected span survives a reload (deep link).
  await page.reload();
  await details.getByText("Resource attributes").waitFor({ timeout: 15000 });
  await page.getByRole("button", { name: "Close details" }).click();
  await page.getByRole("button", { name: "Collapse" }).first().click();
  await page.waitForFunction(() => document.querySelectorAll(".span-row").length === 1);
  checked.push({ page: "trace", spanCount, critical, found });

  // A big trace opens at once and scrolls smoothly: rows are virtual and read by window.
  if (args["big-trace"]) {
    const opened = Date.now();
    await page.goto(`${args.url}/trace/${args["big-trace"]}`);
    await page.locator(".span-row:not(.loading)").first().waitFor({ timeout: 30000 });
    const firstRowsMs = Date.now() - opened;
    const bigSummary = await page.locator(".trace-summary").textContent();
    const bigCount = Number(/^(\d+) spans/.exec(bigSummary ?? "")?.[1]);
    if (bigCount !== Number(args["big-spans"])) {
      throw new Error(`the big trace shows ${bigCount} spans, not ${args["big-spans"]}`);
    }
    const frames = await page.locator(".waterfall").evaluate(async (element) => {
      const times = [];
      let last = performance.now();
      for (let i = 0; i < 120; i++) {
        element.scrollTop += 300;
        await new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      return { medianMs: times[60], worstMs: times[119] };
    });
    const jumped = Date.now();
    await page.locator(".waterfall").evaluate((element) => {
      element.scrollTop = element.scrollHeight;
    });
    await page
      .locator(".span-row:not(.loading) .span-name", { hasText: args["big-last"] })
      .waitFor({ timeout: 30000 });
    // Every row on screen is filled in (their windows have arrived).
    await page.waitForFunction(() => document.querySelectorAll(".span-row.loading").length === 0, null, {
      timeout: 30000,
    });
    const lastRowMs = Date.now() - jumped;
    await page.screenshot({ path: join(args.out, "trace-10k.png") });
    checked.push({ page: "big trace", spans: bigCount, firstRowsMs, lastRowMs, scrollFrames: frames });
  }

  // Logs: a word search finds lines, with the volume histogram and a link to each line's trace.
  await page.getByRole("navigation", { name: "Main" }).getByText("Logs").click();
  await page.waitForURL(/\/logs/);
  await page.getByLabel("Search", { exact: true }).fill(args["log-word"]);
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/q=/);
  const logLine = page.locator("table.logs td.line", { hasText: args["log-word"] }).first();
  await logLine.waitFor({ timeout: 15000 });
  await page.locator("figure.volume .bar").first().waitFor({ state: "attached" });
  const traceLinks = await page.locator("table.logs a", { hasText: "trace" }).count();
  if (traceLinks === 0) throw new Error("no log line links to its trace");
  await logLine.click();
  await page.locator("tr.attributes dt").first().waitFor();
  await page.screenshot({ path: join(args.out, "logs.png"), fullPage: true });
  checked.push({ page: "logs", traceLinks });

  // A line's trace link opens its trace at its span, with the trace's logs under the waterfall.
  await page.locator("table.logs a", { hasText: "trace" }).first().click();
  await page.waitForURL(/\/trace\/[0-9a-f]{32}/);
  await page
    .locator(".trace-logs-section td.line", { hasText: args["log-word"] })
    .first()
    .waitFor({ timeout: 15000 });
  // The SDK logged inside spans it did not export: the page says so and still lists the logs.
  const spansStored = (await page.locator(".span-row").count()) > 0;
  if (spansStored && page.url().includes("span=")) {
    await page.getByRole("complementary", { name: "Span details" }).getByText("Logs of this span").waitFor();
    await page.locator(".span-row.selected").waitFor({ timeout: 15000 });
  } else if (!spansStored) {
    await page.getByText("is stored", { exact: false }).first().waitFor();
  }
  await page.screenshot({ path: join(args.out, "trace-with-logs.png"), fullPage: true });
  checked.push({ page: "trace (from a log line)", spansStored });
  await page.goBack();
  await logLine.waitFor({ timeout: 15000 });

  // A trace whose spans are stored: its log lines under the waterfall select their span.
  if (args["traced-log"]) {
    await page.goto(`${args.url}/trace/${args["traced-log"]}`);
    const logged = page.locator(".trace-logs-section td.line", { hasText: args["log-word"] }).first();
    await logged.waitFor({ timeout: 15000 });
    await page.locator(".trace-logs-section button.link").first().click();
    await page.waitForURL(/span=/);
    const panel = page.getByRole("complementary", { name: "Span details" });
    await panel.getByText("Logs of this span").waitFor({ timeout: 15000 });
    await panel.locator(".span-logs li", { hasText: args["log-word"] }).first().waitFor({ timeout: 15000 });
    await page.locator(".span-row.selected").waitFor({ timeout: 15000 });
    await page.screenshot({ path: join(args.out, "trace-logs-inline.png"), fullPage: true });
    checked.push({ page: "trace (logs inline)" });
    await page.goto(`${args.url}/logs?q=${encodeURIComponent(args["log-word"])}`);
    await logLine.waitFor({ timeout: 15000 });
  }

  // Facets: the level facet counts the lines; choosing a value filters them (in the URL).
  const levels = page.getByRole("complementary", { name: "Facets" }).getByRole("region", { name: "Level" });
  const errorFacet = levels.locator("button.facet-value", { hasText: "error" }).first();
  await errorFacet.waitFor({ timeout: 15000 });
  await errorFacet.click();
  await page.waitForURL(/level=error/);
  await page.getByRole("list", { name: "Filters" }).getByText("error").first().waitFor();
  await logLine.waitFor({ timeout: 15000 });
  checked.push({ page: "logs (facet)" });

  // LogQL: a log query through Loki's API, the mode named next to the box.
  await page.goto(`${args.url}/logs`);
  const logql = `{service_name=~".+"} |= "${args["log-word"]}"`;
  await page.getByLabel("Search", { exact: true }).fill(logql);
  await page.locator(".query-mode", { hasText: "LogQL" }).waitFor();
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/q=/);
  await page.locator("table.logs td.line", { hasText: args["log-word"] }).first().waitFor({ timeout: 15000 });
  await page.locator("figure.volume .bar").first().waitFor({ state: "attached" });
  // A LogQL metric query is charted.
  await page.getByLabel("Search", { exact: true }).fill(`sum by (level) (count_over_time(${logql} [1m]))`);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator(".chart svg text", { hasText: "error" }).first().waitFor({ timeout: 15000 });
  await page.screenshot({ path: join(args.out, "logs-logql.png"), fullPage: true });
  checked.push({ page: "logs (LogQL)" });

  // Metrics: the PromQL chart of a range query, with its series named in the legend (SVG text).
  await page.getByRole("navigation", { name: "Main" }).getByText("Metrics").click();
  await page.waitForURL(/\/metrics/);
  await page.getByLabel("PromQL").fill(args.metric);
  await page.getByRole("button", { name: "Run" }).click();
  await page.waitForURL(/q=/);
  await page
    .locator(".chart svg text", { hasText: args.rule })
    .first()
    .waitFor({ timeout: 15000 });
  const paths = await page.locator(".chart svg path").count();
  if (paths < 2) throw new Error(`the chart drew ${paths} paths`);
  await page.screenshot({ path: join(args.out, "metrics.png"), fullPage: true });
  checked.push({ page: "metrics", paths });

  // Alerts: the rule is listed with its state.
  await page.getByRole("navigation", { name: "Main" }).getByText("Alerts").click();
  await page.waitForURL(/\/alerts/);
  await page.getByText(args.rule, { exact: true }).waitFor({ timeout: 15000 });
  await page.screenshot({ path: join(args.out, "alerts.png"), fullPage: true });
  checked.push({ page: "alerts" });

  // Service map: the services the trace crossed and the calls between them, as SVG text.
  // Derived metrics are stored every second: reload until the callee shows up.
  await page.getByRole("navigation", { name: "Main" }).getByText("Service map").click();
  await page.waitForURL(/\/service-map/);
  const deadline = Date.now() + 30000;
  for (;;) {
    // Wait for the page to settle: a map, or the empty state.
    await page
      .locator("svg.service-map, p.status.empty")
      .first()
      .waitFor({ timeout: 15000 });
    const found = await page.locator("svg.service-map .map-node text", { hasText: args.callee }).count();
    if (found > 0) break;
    if (Date.now() > deadline) {
      const shown = await page.locator("main").textContent();
      throw new Error(
        `the service map never showed ${args.callee}; the page shows: ${shown}; ${problems.join("; ")}`,
      );
    }
    await page.waitForTimeout(1000);
    await page.reload();
  }
  await page.locator("svg.service-map .map-node text", { hasText: args.service }).first().waitFor();
  const edges = await page.locator("svg.service-map .map-edge").count();
  // The exported topology: the user calls web, web calls orders, orders writes to its database
  // and publishes to mailer through a queue.
  const expected = [
    ["user", args.service, ""],
    [args.service, args.callee, ""],
    [args.callee, "shop", ".database"],
    [args.callee, "mailer", ".messaging_system"],
  ];
  for (const [source, target, kind] of expected) {
    const found = await page
      .locator(`svg.service-map .map-edge${kind}[data-source="${source}"][data-target="${target}"]`)
      .count();
    if (found !== 1) throw new Error(`the service map has no edge ${source} -> ${target} ${kind}`);
  }
  await page.locator("svg.service-map .map-node.database text", { hasText: "shop" }).waitFor();
  await page.screenshot({ path: join(args.out, "service-map.png"), fullPage: true });
  checked.push({ page: "service map", edges });

  // Clicking a service opens its RED charts and links to its traces.
  await page.locator("svg.service-map [role=button]", { hasText: args.callee }).first().click();
  const panel = page.getByRole("complementary", { name: `Service ${args.callee}` });
  await panel.locator(".red-chart svg text").first().waitFor({ timeout: 15000 });
  await panel.getByRole("link", { name: new RegExp(`Traces of ${args.callee}`) }).waitFor();
  await page.screenshot({ path: join(args.out, "service-map-panel.png"), fullPage: true });
  checked.push({ page: "service map (node)" });

  // Services: rate, errors and percentiles per service; one service's charts and operations.
  await page.getByRole("navigation", { name: "Main" }).getByText("Services", { exact: true }).click();
  await page.waitForURL(/\/services/);
  const serviceLink = page.locator("table.services td.name a", { hasText: args.callee }).first();
  await serviceLink.waitFor({ timeout: 15000 });
  const listed = await page.locator("table.services tbody tr").count();
  await page.screenshot({ path: join(args.out, "services.png"), fullPage: true });
  await serviceLink.click();
  await page.waitForURL(/service=/);
  await page.locator(".red-chart svg text").first().waitFor({ timeout: 15000 });
  const operations = page.locator("table.operations tbody tr a");
  await operations.first().waitFor({ timeout: 15000 });
  const operationCount = await operations.count();
  await page.screenshot({ path: join(args.out, "service.png"), fullPage: true });
  await operations.first().click();
  await page.waitForURL(/\/traces\?/);
  await page.locator("table.list tbody tr").first().waitFor({ timeout: 15000 });
  checked.push({ page: "services", listed, operationCount });
  await page.getByRole("navigation", { name: "Main" }).getByText("Service map").click();
  await page.locator("svg.service-map").waitFor({ timeout: 15000 });

  // The dark theme, chosen in the header, applies at once and survives a reload.
  await page.getByLabel("Theme").selectOption("dark");
  await page.reload();
  await page.locator("svg.service-map").waitFor({ timeout: 15000 });
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  if (theme !== "dark") throw new Error(`theme after reload: ${theme}`);
  await page.screenshot({ path: join(args.out, "service-map-dark.png"), fullPage: true });
  // The trace view and the logs in the dark theme, for a look at their colours.
  await page.goto(`${args.url}/trace/${args.trace}`);
  await page.locator(".span-row:not(.loading)").first().waitFor({ timeout: 15000 });
  await page.locator(".span-row .span-name").last().click();
  await page.getByRole("complementary", { name: "Span details" }).getByText("Resource attributes").waitFor({ timeout: 15000 });
  await page.screenshot({ path: join(args.out, "trace-dark.png"), fullPage: true });
  await page.goto(`${args.url}/logs?q=${args["log-word"]}`);
  await page.locator("table.logs td.line").first().waitFor({ timeout: 15000 });
  await page.screenshot({ path: join(args.out, "logs-dark.png"), fullPage: true });
  checked.push({ page: "dark theme" });

  if (problems.length > 0) throw new Error(problems.join("\n"));
} catch (error) {
  // What the page showed when a check failed, for the CI run's artifacts.
  await page.screenshot({ path: join(args.out, "failure.png"), fullPage: true }).catch(() => {});
  const shown = await page.locator("main").textContent().catch(() => "");
  console.error(`failed at ${page.url()}; the page shows: ${shown?.slice(0, 2000)}`);
  for (const [request, since] of pending) {
    console.error(`still waiting ${Date.now() - since} ms for ${request.method()} ${request.url()}`);
  }
  throw error;
} finally {
  await browser.close();
}
writeFileSync(join(args.out, "RESULT.json"), JSON.stringify({ checked }, null, 2));
console.log(JSON.stringify({ checked }));
