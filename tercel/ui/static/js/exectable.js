// The executions table (shared by the Executions page and a flow's Executions tab), with paging.
import { api } from "./api.js";
import { h, badge, link, labels, fmtDate, fmtDuration } from "./util.js";

/** Render into `box` the executions matching `params` (URLSearchParams), `size` per page. */
export async function executionTable(box, params, { size = 25, onPage = null } = {}) {
  const page = Number(params.get("page") || 1);
  const query = new URLSearchParams(params);
  query.set("page", String(page));
  query.set("size", String(size));
  const data = await api(`executions/search?${query}`);
  const pages = Math.max(1, Math.ceil(data.total / size));
  const go = (p) => { params.set("page", String(p)); if (onPage) onPage(params); executionTable(box, params, { size, onPage }); };
  box.replaceChildren(
    h("table", { id: "executions-table" },
      h("thead", {}, h("tr", {}, ["Id", "Flow", "State", "Reason", "Labels", "Start", "End", "Duration"].map((t) => h("th", {}, t)))),
      h("tbody", {}, data.results.length ? data.results.map((e) => h("tr", { "data-state": e.state.current },
        h("td", {}, link(`/ui/executions/${e.namespace}/${e.flowId}/${e.id}`, h("code", {}, e.id))),
        h("td", {}, link(`/ui/flows/${e.namespace}/${e.flowId}`, `${e.namespace}.${e.flowId}`)),
        h("td", {}, badge(e.state.current)),
        h("td", { class: "reason", "data-reason-for": e.id }),
        h("td", {}, labels(e.labels)),
        h("td", {}, fmtDate(e.state.startDate)),
        h("td", {}, fmtDate(e.state.endDate)),
        h("td", {}, fmtDuration(e.state.duration)))) : h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No execution.")))),
    h("div", { class: "pager" },
      h("button", { type: "button", disabled: page <= 1, onclick: () => go(page - 1) }, "‹ Previous"),
      h("span", {}, `Page ${page} of ${pages} · ${data.total} executions`),
      h("button", { type: "button", disabled: page >= pages, onclick: () => go(page + 1) }, "Next ›")));
  await fillReasons(box, data.results);
  return data;
}

/** A short reason next to each FAILED or WARNING execution (one request for the page). */
async function fillReasons(box, executions) {
  const ids = executions.filter((e) => ["FAILED", "WARNING"].includes(e.state.current)).map((e) => e.id);
  if (!ids.length) return;
  const query = new URLSearchParams(ids.map((id) => ["id", id]));
  const data = await api(`ui/failures?${query}`).catch(() => null);
  for (const [id, summary] of Object.entries(data?.failures || {})) {
    const cell = box.querySelector(`td[data-reason-for="${CSS.escape(id)}"]`);
    if (cell && summary.reason) { cell.textContent = summary.reason; cell.title = summary.reason; }
  }
}
