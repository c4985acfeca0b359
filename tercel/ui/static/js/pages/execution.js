// An execution, live: why it failed (first thing on the page), topology coloured by state, Gantt,
// logs (SSE), outputs, inputs, labels, and the actions kill, restart, replay from a task, resume
// with onResume inputs, change status.
import { api, follow, authHeader, base } from "../api.js";
import { h, badge, link, labels, fmtDate, fmtDuration, tabs, guard, toast, TERMINAL } from "../util.js";
import { topology, childLists } from "../topology.js";
import { gantt } from "../gantt.js";
import { inputDialog } from "../rundialog.js";
import { navigate } from "../main.js";
import { executionTable } from "../exectable.js";

const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

export async function render(main, [namespace, flowId, id], query) {
  let execution = await api(`executions/${id}`);
  const flow = await api(`flows/${namespace}/${flowId}?revision=${execution.flowRevision}`).catch(() => null);
  const header = h("div", {});
  // FAILED or WARNING: which task runs failed and their last error lines, without a click.
  const failure = h("section", { id: "failure-summary", class: "panel failure", hidden: true, "aria-live": "polite" });
  let failureDrawnFor = null;
  let failureRetries = 0;
  const logs = { entries: [], stop: null, box: null, level: "INFO", text: "" };
  let current = null; // the render function of the open tab (re-run on updates)
  let stopFollow = null;

  const stateOf = () => {
    const map = {};
    for (const run of execution.taskRunList || []) map[run.taskId] = run.state.current;
    return map;
  };
  const panel = (fn) => (box) => { current = () => { box.replaceChildren(); fn(box); }; current(); };

  function drawHeader() {
    const st = execution.state.current;
    const actions = [];
    if (!TERMINAL.has(st)) actions.push(h("button", { type: "button", class: "danger", id: "kill", "data-requires": "EXECUTION:UPDATE", onclick: () => guard(async () => { await api(`executions/${id}/kill`, { method: "DELETE" }); toast("Kill requested"); }) }, "Kill"));
    if (["FAILED", "KILLED", "WARNING"].includes(st)) actions.push(h("button", { type: "button", id: "restart", "data-requires": "EXECUTION:UPDATE", onclick: () => guard(async () => { execution = await api(`executions/${id}/restart`, { method: "POST" }); toast("Restarted"); refresh(true); }) }, "Restart"));
    if (TERMINAL.has(st)) actions.push(h("button", { type: "button", id: "replay", "data-requires": "EXECUTION:UPDATE", onclick: replay }, "Replay…"), h("button", { type: "button", id: "change-status", "data-requires": "EXECUTION:UPDATE", onclick: changeStatus }, "Change status…"));
    if (st === "PAUSED") actions.push(h("button", { type: "button", class: "primary", id: "resume", "data-requires": "EXECUTION:UPDATE", onclick: resume }, "Resume…"));
    header.replaceChildren(h("div", { class: "row" },
      h("h1", {}, "Execution ", h("code", {}, id)), h("span", { id: "execution-state" }, badge(st)),
      h("span", { class: "spacer" }), actions),
    h("div", { class: "row muted" }, link(`/ui/flows/${namespace}/${flowId}`, `${namespace}.${flowId}`), h("span", {}, `revision ${execution.flowRevision}`),
      h("span", {}, `started ${fmtDate(execution.state.startDate)}`), execution.state.endDate ? h("span", {}, `ended ${fmtDate(execution.state.endDate)}`) : null,
      h("span", { id: "execution-duration" }, fmtDuration(execution.state.duration)), h("span", {}, labels(execution.labels)),
      execution.parentId ? h("span", {}, "parent ", link(`/ui/executions/${execution.trigger?.variables?.namespace || namespace}/${execution.trigger?.variables?.flowId || flowId}/${execution.parentId}`, h("code", {}, execution.parentId))) : null,
      execution.originalId && execution.originalId !== id ? h("span", {}, "replay of ", h("code", {}, execution.originalId)) : null));
  }

  async function drawFailure() {
    const st = execution.state.current;
    if (!["FAILED", "WARNING"].includes(st)) { failure.hidden = true; failureDrawnFor = null; return; }
    const key = `${st}:${execution.state.endDate || ""}`;
    if (failureDrawnFor === key) return;
    failureDrawnFor = key;
    const data = await api(`ui/failures?id=${encodeURIComponent(id)}`).catch(() => null);
    const summary = data?.failures?.[id];
    if (!summary || failureDrawnFor !== key) return;
    // Log lines written just after the final state may not be stored yet: look again soon.
    const said = (summary.taskRuns || []).some((r) => r.errors.length) || summary.errors?.length;
    if (!said && failureRetries < 5) {
      failureRetries += 1;
      setTimeout(() => { if (failureDrawnFor === key) { failureDrawnFor = null; drawFailure(); } }, 800);
    }
    const openLogs = (taskId) => (event) => {
      event.preventDefault();
      logs.text = taskId || "";
      document.getElementById("tab-logs").click();
    };
    const verb = st === "FAILED" ? "Failed" : "Finished with warnings";
    const runs = summary.taskRuns || [];
    const title = runs.length
      ? h("h2", {}, `${verb} at `, runs.map((r, i) => [i ? ", " : "", h("code", {}, r.taskId)]))
      : h("h2", {}, verb);
    failure.replaceChildren(title,
      ...runs.map((r) => h("div", { class: "failure-task", "data-task": r.taskId },
        h("div", { class: "row" }, h("b", {}, r.taskId), r.value != null ? h("span", { class: "muted" }, `[${r.value}]`) : null, badge(r.state),
          h("a", { href: "?tab=logs", class: "failure-logs", onclick: openLogs(r.taskId) }, "Full logs")),
        r.errors.length ? h("pre", { class: "failure-errors" }, r.errors.join("\n")) : h("p", { class: "muted" }, "No error line was logged."))),
      ...(summary.errors?.length ? [h("pre", { class: "failure-errors" }, summary.errors.join("\n")),
        h("a", { href: "?tab=logs", class: "failure-logs", onclick: openLogs("") }, "Full logs")] : []));
    failure.className = `panel failure${st === "WARNING" ? " warning" : ""}`;
    failure.hidden = false;
  }

  function refresh(restartStreams = false) {
    drawHeader();
    drawFailure();
    if (current && !logs.box?.isConnected) current();
    if (restartStreams) { startFollow(); startLogs(); }
  }

  function startFollow() {
    if (stopFollow) stopFollow();
    stopFollow = follow(`executions/${id}/follow`, (name, data) => {
      if (name === "execution") { execution = data; refresh(); }
    });
  }

  function drawLogs() {
    if (!logs.box) return;
    const min = LEVELS.indexOf(logs.level);
    const text = logs.text.toLowerCase();
    const shown = logs.entries.filter((e) => LEVELS.indexOf(e.level) >= min && (!text || (e.taskId || "").toLowerCase() === text || `${e.taskId || ""} ${e.message}`.toLowerCase().includes(text)));
    const stick = logs.box.scrollTop + logs.box.clientHeight >= logs.box.scrollHeight - 20;
    logs.box.replaceChildren(...(shown.length ? shown.map((e) => h("div", { class: `line lv-${e.level}` },
      `${(e.timestamp || "").slice(11, 23)} ${e.level.padEnd(5)} `, e.taskId ? h("b", {}, `[${e.taskId}] `) : "", e.message)) : [h("div", { class: "muted" }, "No log line.")]));
    if (stick) logs.box.scrollTop = logs.box.scrollHeight;
  }

  function startLogs() {
    if (logs.stop) logs.stop();
    logs.entries = [];
    logs.stop = follow(`logs/${id}/follow`, (name, data) => {
      if (name === "log") { logs.entries.push(data); drawLogsSoon(); }
      // Lines flushed just after the end can miss the stream: read the whole log again.
      if (name === "end") for (const delay of [500, 2000]) setTimeout(reloadLogs, delay);
    });
  }
  async function reloadLogs() {
    const all = await api(`logs/${id}`).catch(() => null);
    if (all && all.length > logs.entries.length) { logs.entries = all; drawLogs(); }
  }
  let pending = false;
  const drawLogsSoon = () => { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; drawLogs(); }); } };

  function logsTab(box) {
    current = null;
    const level = h("select", { "aria-label": "minimum level", id: "log-level", onchange: (e) => { logs.level = e.target.value; drawLogs(); } },
      LEVELS.map((l) => h("option", { value: l, selected: l === logs.level }, l)));
    const search = h("input", { type: "search", id: "log-search", placeholder: "Search logs…", "aria-label": "search logs", value: logs.text,
      oninput: (e) => { logs.text = e.target.value; drawLogs(); } });
    logs.box = h("div", { class: "logs", id: "logs", tabindex: 0, "aria-label": "log lines" });
    box.append(h("div", { class: "row", style: "margin-bottom:8px" }, level, search,
      h("button", { type: "button", onclick: () => download(`${base()}/logs/${id}/download`, `${id}.log`) }, "Download")), logs.box);
    drawLogs();
  }

  function overview(box) {
    // Clicking (or Enter on) a task shows its log lines.
    const showLogs = (taskId) => { logs.text = taskId; document.getElementById("tab-logs").click(); };
    box.append(flow ? h("div", { class: "topo", id: "topology" }, topology(flow, stateOf(), showLogs)) : h("p", { class: "muted" }, "The flow revision is gone."));
  }

  function outputs(box) {
    const runs = (execution.taskRunList || []).filter((r) => r.outputs && Object.keys(r.outputs).length);
    if (execution.outputs && Object.keys(execution.outputs).length) box.append(h("h2", {}, "Flow outputs"), valueTable(execution.outputs));
    if (!runs.length) { box.append(h("p", { class: "muted" }, "No task output yet.")); return; }
    for (const run of runs) box.append(h("h2", {}, run.taskId, run.value != null ? ` [${run.value}]` : ""), valueTable(run.outputs));
  }

  function valueTable(values) {
    return h("table", {}, h("tbody", {}, Object.entries(values).map(([key, value]) => h("tr", {},
      h("th", { style: "width:20%" }, key), h("td", {}, renderValue(value))))));
  }

  function renderValue(value) {
    if (typeof value === "string" && value.startsWith("kestra:///")) {
      const name = value.split("/").pop();
      const url = `${base()}/executions/${id}/file?path=${encodeURIComponent(value)}`;
      const preview = h("pre", { class: "src", hidden: true, style: "max-height:240px" });
      return h("div", {}, h("code", {}, name), " ",
        h("button", { type: "button", class: "preview", onclick: async () => {
          if (!preview.hidden) { preview.hidden = true; return; }
          const response = await api(url, { raw: true });
          const text = await response.text();
          preview.textContent = text.length > 65536 ? `${text.slice(0, 65536)}\n… (truncated)` : text;
          preview.hidden = false;
        } }, "Preview"), " ",
        h("button", { type: "button", onclick: () => download(url, name) }, "Download"), preview);
    }
    if (value !== null && typeof value === "object") return h("pre", { class: "src", style: "max-height:240px" }, JSON.stringify(value, null, 2));
    return h("code", {}, String(value));
  }

  function inputsTab(box) {
    box.append(h("div", {}, h("h2", {}, "Inputs"), execution.inputs && Object.keys(execution.inputs).length ? valueTable(execution.inputs) : h("p", { class: "muted" }, "No inputs."),
      h("h2", {}, "Labels"), h("div", {}, labels(execution.labels, true)), execution.trigger ? [h("h2", {}, "Trigger"), valueTable(execution.trigger)] : null));
    if (TERMINAL.has(execution.state.current)) {
      const input = h("input", { placeholder: "key:value", "aria-label": "new label" });
      box.append(h("form", { class: "row", onsubmit: (e) => { e.preventDefault(); guard(async () => {
        const [key, ...rest] = input.value.split(":");
        execution = await api(`executions/${id}/labels`, { method: "POST", body: [{ key: key.trim(), value: rest.join(":").trim() }] });
        refresh();
      }); } }, input, h("button", { type: "submit" }, "Add label")));
    }
  }

  async function replay() {
    const select = h("select", { id: "replay-task", "aria-label": "task run to replay from" }, h("option", { value: "" }, "from the start"),
      (execution.taskRunList || []).map((r) => h("option", { value: r.id }, `${r.taskId}${r.value != null ? ` [${r.value}]` : ""} · ${r.state.current}`)));
    const result = await inputDialog({ title: "Replay", inputs: [], action: "Replay", extra: h("div", {}, h("label", { for: "replay-task" }, "Replay from"), select),
      submit: () => api(`executions/${id}/replay${select.value ? `?taskRunId=${select.value}` : ""}`, { method: "POST" }) });
    if (result) navigate(`/ui/executions/${result.namespace}/${result.flowId}/${result.id}`);
  }

  async function changeStatus() {
    const select = h("select", { id: "new-status", "aria-label": "new status" }, ["SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"].map((v) => h("option", { value: v }, v)));
    const result = await inputDialog({ title: "Change status", inputs: [], action: "Change", extra: h("div", {}, h("label", { for: "new-status" }, "New status"), select),
      submit: () => api(`executions/${id}/change-status?status=${select.value}`, { method: "POST" }) });
    if (result) { execution = result; refresh(); }
  }

  async function resume() {
    const paused = (execution.taskRunList || []).find((r) => r.state.current === "PAUSED");
    const task = paused && flow ? findTask(flow, paused.taskId) : null;
    const result = await inputDialog({ title: "Resume", inputs: task?.onResume || [], action: "Resume",
      submit: async (data) => { await api(`executions/${id}/resume`, { method: "POST", body: [...data.keys()].length ? data : undefined }); return true; } });
    if (result) { toast("Resumed"); refresh(true); }
  }

  main.append(header, failure, tabs([
    { id: "topology", title: "Topology", render: panel(overview) },
    { id: "gantt", title: "Gantt", render: panel((box) => box.append(h("div", { id: "gantt" }, gantt(execution)))) },
    { id: "logs", title: "Logs", render: logsTab },
    { id: "outputs", title: "Outputs", render: panel(outputs) },
    { id: "inputs", title: "Inputs & labels", render: panel(inputsTab) },
    { id: "subflows", title: "Subflow executions", render: (box) => { current = null; executionTable(box, new URLSearchParams({ parentId: id })); } },
  ], query.get("tab") || "topology"));
  drawHeader();
  drawFailure();
  startFollow();
  startLogs();
  return () => { if (stopFollow) stopFollow(); if (logs.stop) logs.stop(); };
}

function findTask(flow, taskId) {
  const walk = (tasks) => {
    for (const t of tasks || []) {
      if (t.id === taskId) return t;
      for (const [, list] of childLists(t)) { const f = walk(list); if (f) return f; }
    }
    return null;
  };
  return walk(flow.tasks) || walk(flow.errors) || walk(flow.finally);
}

async function download(url, name) {
  const headers = { "X-Tercel-UI": "1", ...(authHeader() ? { Authorization: authHeader() } : {}) };
  const response = await fetch(url, { headers });
  if (!response.ok) { toast(`download failed: HTTP ${response.status}`, true); return; }
  const blob = URL.createObjectURL(await response.blob());
  const a = h("a", { href: blob, download: name });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(blob), 10000);
}
