// The tenant's audit log: who did what, when, from where (API, UI or CLI), newest first.
import { api } from "../api.js";
import { h, fmtDate } from "../util.js";

export async function render(main, _params, query) {
  const actor = h("input", { name: "actor", placeholder: "user or account", "aria-label": "user", value: query.get("actor") || "" });
  const resource = h("select", { name: "resource", "aria-label": "resource" },
    ["", "FLOW", "EXECUTION", "NAMESPACE", "KVSTORE", "SECRET", "BINDING", "ROLE", "GROUP", "SERVICE_ACCOUNT", "USER", "TENANT"]
      .map((r) => h("option", { value: r }, r || "any resource")));
  resource.value = query.get("resource") || "";
  const since = h("input", { name: "startDate", type: "datetime-local", "aria-label": "since" });
  const body = h("tbody", {});
  async function load() {
    const params = new URLSearchParams({ size: "200" });
    if (actor.value) params.set("actor", actor.value);
    if (resource.value) params.set("resource", resource.value);
    if (since.value) params.set("startDate", new Date(since.value).toISOString());
    const data = await api(`auditlogs/search?${params}`);
    body.replaceChildren(...(data.results.length ? data.results.map((e) => h("tr", {},
      h("td", {}, fmtDate(e.date)), h("td", {}, e.actor), h("td", {}, e.action), h("td", {}, e.resource),
      h("td", {}, h("code", {}, [e.namespace, e.resourceId].filter(Boolean).join(" · "))),
      h("td", {}, e.channel), h("td", {}, e.ip || "")))
      : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, "Nothing recorded."))]));
  }
  main.append(h("h1", {}, "Audit log"),
    h("form", { class: "row panel", onsubmit: (e) => { e.preventDefault(); load(); } },
      actor, resource, since, h("button", { type: "submit" }, "Filter")),
    h("table", {}, h("thead", {}, h("tr", {}, ["Date", "Who", "Action", "Resource", "What", "Via", "From"].map((t) => h("th", {}, t)))), body));
  await load();
}
