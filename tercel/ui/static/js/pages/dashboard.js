// Dashboard: executions by state per day, running now, recent failures.
import { api } from "../api.js";
import { h, s, badge, link, fmtDate, fmtDuration } from "../util.js";

const COLORS = { SUCCESS: "var(--ok)", WARNING: "var(--warn)", FAILED: "var(--fail)", KILLED: "var(--kill)", RUNNING: "var(--run)", PAUSED: "var(--pause)", CREATED: "var(--created)" };

function chart(stats) {
  const W = 1100, H = 180, left = 34, bottom = 22;
  const totals = stats.days.map((_, i) => Object.values(stats.series).reduce((sum, arr) => sum + arr[i], 0));
  const max = Math.max(1, ...totals);
  const bw = (W - left) / stats.days.length;
  const bars = [];
  stats.days.forEach((day, i) => {
    let y = H - bottom;
    for (const [state, values] of Object.entries(stats.series)) {
      const hgt = (values[i] / max) * (H - bottom - 10);
      if (!hgt) continue;
      y -= hgt;
      bars.push(s("rect", { class: "bar", x: left + i * bw + 4, y, width: bw - 8, height: hgt, fill: COLORS[state] },
        s("title", {}, `${day} ${state}: ${values[i]}`)));
    }
    bars.push(s("text", { x: left + i * bw + bw / 2, y: H - 6, "text-anchor": "middle", opacity: 0.7 }, day.slice(5)));
  });
  bars.push(s("text", { x: 2, y: 14, opacity: 0.7 }, String(max)), s("text", { x: 2, y: H - bottom, opacity: 0.7 }, "0"));
  const legend = h("div", { class: "row" }, Object.keys(stats.series).map((st) =>
    h("span", {}, h("span", { class: `badge st-${st}` }, st), " ", stats.series[st].reduce((a, b) => a + b, 0))));
  return h("div", {}, s("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, width: "100%", height: H, role: "img", "aria-label": "executions per day by state" }, bars), legend);
}

function table(executions, empty) {
  if (!executions.length) return h("p", { class: "muted" }, empty);
  return h("table", {}, h("thead", {}, h("tr", {}, ["Id", "Flow", "State", "Start", "Duration"].map((t) => h("th", {}, t)))),
    h("tbody", {}, executions.map((e) => h("tr", {},
      h("td", {}, link(`/ui/executions/${e.namespace}/${e.flowId}/${e.id}`, e.id)),
      h("td", {}, `${e.namespace}.${e.flowId}`),
      h("td", {}, badge(e.state.current)),
      h("td", {}, fmtDate(e.state.startDate)),
      h("td", {}, fmtDuration(e.state.duration))))));
}

export async function render(main) {
  main.append(h("h1", {}, "Dashboard"));
  const [stats, running, failed] = await Promise.all([
    api("ui/stats?days=7"),
    api("executions/search?state=RUNNING&state=PAUSED&state=CREATED&size=10"),
    api("executions/search?state=FAILED&size=10"),
  ]);
  main.append(
    h("div", { class: "grid3" },
      h("div", { class: "panel" }, h("div", { class: "muted" }, "Executions (7 days)"),
        h("div", { class: "kpi" }, Object.values(stats.series).flat().reduce((a, b) => a + b, 0))),
      h("div", { class: "panel" }, h("div", { class: "muted" }, "Running now"), h("div", { class: "kpi", id: "kpi-running" }, running.total)),
      h("div", { class: "panel" }, h("div", { class: "muted" }, "Failed (all time)"), h("div", { class: "kpi" }, failed.total))),
    h("div", { class: "panel" }, h("h2", {}, "Executions by state"), chart(stats)),
    h("div", { class: "grid2" },
      h("div", { class: "panel" }, h("h2", {}, "Running now"), table(running.results, "Nothing is running.")),
      h("div", { class: "panel" }, h("h2", {}, "Recent failures"), table(failed.results, "No failures."))));
}
