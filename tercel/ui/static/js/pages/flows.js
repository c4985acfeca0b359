// Flows grouped by namespace, with text search, labels and triggers.
import { api } from "../api.js";
import { h, link, debounce } from "../util.js";

export async function render(main, _params, query) {
  const search = h("input", { type: "search", placeholder: "Search flows (id or namespace)…", "aria-label": "Search flows", value: query.get("q") || "", style: "min-width:320px" });
  const list = h("div", {});
  main.append(h("div", { class: "row" }, h("h1", {}, "Flows"), h("span", { class: "spacer" }),
    h("a", { href: "/ui/editor", "data-link": true, class: "btn primary", id: "new-flow", "data-requires": "FLOW:CREATE" }, "New flow")), h("div", { class: "row panel" }, search), list);
  async function load() {
    const q = search.value.trim();
    const data = await api(`flows/search?size=1000${q ? `&q=${encodeURIComponent(q)}` : ""}`);
    const groups = new Map();
    for (const flow of data.results) {
      if (!groups.has(flow.namespace)) groups.set(flow.namespace, []);
      groups.get(flow.namespace).push(flow);
    }
    list.replaceChildren();
    if (!data.results.length) list.append(h("p", { class: "muted" }, "No flow matches."));
    for (const [ns, flows] of [...groups].sort()) {
      list.append(h("h2", {}, link(`/ui/namespaces/${ns}`, ns)), h("table", {},
        h("thead", {}, h("tr", {}, ["Flow", "Labels", "Triggers", "Revision", ""].map((t) => h("th", {}, t)))),
        h("tbody", {}, flows.map((f) => h("tr", {},
          h("td", {}, link(`/ui/flows/${f.namespace}/${f.id}`, f.id), f.description ? h("div", { class: "hint" }, f.description.split("\n")[0]) : null),
          h("td", {}, labelList(f.labels)),
          h("td", {}, (f.triggers || []).map((t) => h("span", { class: "label" }, `${t.id} (${t.type.split(".").pop()})`))),
          h("td", {}, String(f.revision)),
          h("td", {}, link(`/ui/flows/${f.namespace}/${f.id}/edit`, "Edit")))))));
    }
  }
  function labelList(labels) {
    if (!labels) return [];
    const entries = Array.isArray(labels) ? labels.map((l) => [l.key, l.value]) : Object.entries(labels);
    return entries.map(([k, v]) => h("span", { class: "label" }, `${k}:${v}`));
  }
  search.addEventListener("input", debounce(() => {
    history.replaceState(null, "", search.value ? `?q=${encodeURIComponent(search.value)}` : location.pathname);
    load();
  }, 200));
  await load();
}
