// Executions: filters (namespace, flow, state, labels, dates) kept in the URL, paging.
import { h } from "../util.js";
import { executionTable } from "../exectable.js";

const STATES = ["CREATED", "RUNNING", "PAUSED", "SUCCESS", "WARNING", "FAILED", "KILLED", "QUEUED", "CANCELLED"];

export async function render(main, _params, query) {
  const params = new URLSearchParams(query);
  const field = (name, attrs) => h("input", { name, value: params.get(name) || "", ...attrs });
  const ns = field("namespace", { type: "search", placeholder: "namespace", "aria-label": "namespace" });
  const flow = field("flowId", { placeholder: "flow id", "aria-label": "flow id" });
  const label = field("labels", { placeholder: "key:value", "aria-label": "label" });
  const from = h("input", { type: "datetime-local", "aria-label": "started after", value: (params.get("startDate") || "").slice(0, 16) });
  const to = h("input", { type: "datetime-local", "aria-label": "started before", value: (params.get("endDate") || "").slice(0, 16) });
  const state = h("select", { name: "state", "aria-label": "state" }, h("option", { value: "" }, "any state"),
    STATES.map((st) => h("option", { value: st, selected: params.get("state") === st }, st)));
  const box = h("div", {});
  const sync = (p) => history.replaceState(null, "", `?${p}`);
  function apply(event) {
    event?.preventDefault();
    const p = new URLSearchParams();
    for (const [key, el] of [["namespace", ns], ["flowId", flow], ["labels", label], ["state", state]]) if (el.value) p.set(key, el.value);
    if (from.value) p.set("startDate", new Date(from.value).toISOString());
    if (to.value) p.set("endDate", new Date(to.value).toISOString());
    sync(p);
    executionTable(box, p, { onPage: sync });
  }
  main.append(h("h1", {}, "Executions"),
    h("form", { class: "panel row", onsubmit: apply, id: "filters" }, ns, flow, state, label, "from", from, "to", to,
      h("button", { type: "submit" }, "Filter")),
    box);
  await executionTable(box, params, { onPage: sync });
  // Refresh every 5 s, unless the user is busy in the table (keyboard focus) or a dialog.
  const timer = setInterval(() => {
    if (document.querySelector("dialog[open]") || box.contains(document.activeElement)) return;
    executionTable(box, new URLSearchParams(location.search), { onPage: sync });
  }, 5000);
  return () => clearInterval(timer);
}
