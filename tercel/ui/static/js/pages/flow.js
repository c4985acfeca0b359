// A flow: topology, YAML source, revisions with diffs, executions, triggers; Run and Edit.
import { api } from "../api.js";
import { h, link, tabs, fmtDate, guard, toast } from "../util.js";
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
