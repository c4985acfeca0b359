// A flow: topology, YAML source, revisions with diffs, executions, triggers, unit tests; Run and Edit.
import { api } from "../api.js";
import { h, link, tabs, fmtDate, guard, toast, badge } from "../util.js";
import { topology } from "../topology.js";
import { highlight } from "../yaml.js";
import { diffView } from "../diff.js";
import { executionTable } from "../exectable.js";
import { runDialog } from "../rundialog.js";
import { navigate } from "../main.js";
import { triggerRows } from "./triggers.js";

export async function render(main, [namespace, id], query) {
  const flow = await api(`flows/${namespace}/${id}?source=true`);
  const run = h("button", { class: "primary", type: "button", id: "run", "data-requires": "EXECUTION:CREATE", onclick: async () => {
    const execution = await runDialog(flow);
    if (execution) navigate(`/ui/executions/${execution.namespace}/${execution.flowId}/${execution.id}`);
  } }, "Run");
  main.append(h("div", {},
    h("div", { class: "row" }, h("h1", {}, `${namespace}.${id}`), h("span", { class: "muted" }, `revision ${flow.revision}`),
      h("span", { class: "spacer" }), run, h("a", { href: `/ui/flows/${namespace}/${id}/edit`, "data-link": true, class: "btn", id: "edit", "data-requires": "FLOW:UPDATE" }, "Edit")),
    flow.description ? h("p", { class: "muted" }, flow.description) : null,
    tabs([
      { id: "topology", title: "Topology", render: (box) => box.append(h("div", { class: "topo" }, topology(flow))) },
      { id: "source", title: "Source", render: (box) => { const pre = h("pre", { class: "src" }); pre.innerHTML = highlight(flow.source); box.append(pre); } },
      { id: "revisions", title: "Revisions", render: (box) => revisions(box, namespace, id) },
      { id: "executions", title: "Executions", render: (box) => executionTable(box, new URLSearchParams({ namespace, flowId: id })) },
      { id: "triggers", title: "Triggers", render: (box) => triggers(box, flow) },
      { id: "tests", title: "Tests", render: (box) => tests(box, namespace, id) },
    ], query.get("tab") || "topology")));
}

async function revisions(box, namespace, id) {
  const list = await api(`flows/${namespace}/${id}/revisions`);
  if (list.length < 2) { box.append(h("p", { class: "muted" }, "Only one revision so far.")); return; }
  const options = (sel) => list.map((r) => h("option", { value: r.revision, selected: r.revision === sel }, `revision ${r.revision} · ${fmtDate(r.updated)}`));
  const left = h("select", { "aria-label": "older revision" }, options(list[list.length - 2].revision));
  const right = h("select", { "aria-label": "newer revision" }, options(list[list.length - 1].revision));
  const out = h("div", {});
  const show = () => {
    const a = list.find((r) => r.revision === +left.value), b = list.find((r) => r.revision === +right.value);
    out.replaceChildren(diffView(a.source, b.source));
  };
  left.onchange = right.onchange = show;
  box.append(h("div", { class: "row" }, left, "→", right), out);
  show();
}

async function triggers(box, flow) {
  if (!flow.triggers?.length) { box.append(h("p", { class: "muted" }, "This flow has no triggers.")); return; }
  const states = await api(`triggers/${flow.namespace}/${flow.id}`);
  const byId = Object.fromEntries(states.results.map((t) => [t.triggerId, t]));
  const rows = flow.triggers.map((t) => ({ ...(byId[t.id] || { namespace: flow.namespace, flowId: flow.id, triggerId: t.id, disabled: !!t.disabled }), type: t.type }));
  box.append(await triggerRows(rows, () => { box.replaceChildren(); triggers(box, flow); }));
  void guard; void toast;
}

// Unit tests of this flow (Kestra's test suites): each one's last result, and a Run button
// whose result lists every failing assertion with its expression, expected and actual value.
async function tests(box, namespace, id) {
  const found = await api(`tests/search?${new URLSearchParams({ namespace, flowId: id, size: 100 })}`);
  const suites = found.results.filter((t) => t.namespace === namespace);
  if (!suites.length) {
    box.append(h("p", { class: "muted" }, "No tests for this flow. Create one with POST /api/v1/main/tests (YAML) or run test files with `tercel test`."));
    return;
  }
  for (const suite of suites) {
    const out = h("div", { class: "test-result" });
    const runButton = h("button", { type: "button", class: "primary", "data-test": suite.id, onclick: async () => {
      runButton.disabled = true;
      try { out.replaceChildren(testResult(await api(`tests/${namespace}/${suite.id}/run`, { method: "POST" }))); }
      catch (error) { toast(error.message, true); }
      finally { runButton.disabled = false; }
    } }, "Run tests");
    const section = h("section", { class: "test-suite", "data-suite": suite.id },
      h("div", { class: "row" }, h("h2", {}, suite.id), suite.lastRunState ? badge(suite.lastRunState) : h("span", { class: "muted" }, "never run"),
        h("span", { class: "spacer" }), runButton),
      suite.description ? h("p", { class: "muted" }, suite.description) : null, out);
    box.append(section);
    const last = await api(`tests/results/search?${new URLSearchParams({ namespace, testSuiteId: suite.id, size: 1 })}`);
    if (last.results.length) out.append(testResult(last.results[0]));
  }
}

function testResult(run) {
  const rows = run.results.map((result) => {
    const failures = result.assertionResults.filter((a) => !a.isSuccess).map((a) => h("li", { class: "assertion" },
      h("code", {}, a.operator), " expected ", h("code", { class: "expected" }, show(a.expected)), " actual ", h("code", { class: "actual" }, show(a.actual)),
      a.errorMessage ? h("div", { class: "muted" }, a.errorMessage) : null));
    const errors = result.errors.map((e) => h("li", {}, e.message, e.details ? h("div", { class: "muted" }, e.details) : null));
    return h("tr", { "data-case": result.testId },
      h("td", {}, result.testId), h("td", {}, badge(result.state)),
      h("td", {}, failures.length || errors.length ? h("ul", {}, ...failures, ...errors) : h("span", { class: "muted" }, `${result.assertionResults.length} assertion(s) passed`)));
  });
  return h("div", {},
    h("p", { class: "muted" }, "Run ", badge(run.state), ` ${fmtDate(run.startDate)} (test executions are not kept)`),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "case"), h("th", {}, "state"), h("th", {}, "assertions"))), h("tbody", {}, ...rows)));
}

function show(value) {
  return value === null || value === undefined ? "null" : typeof value === "string" ? value : JSON.stringify(value);
}
