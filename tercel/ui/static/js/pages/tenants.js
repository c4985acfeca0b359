// Tenants (super-admins): create, rename, delete. Each tenant is a separate world of flows,
// executions, namespaces, KV, secrets and files; the header's switcher changes tenant.
import { api } from "../api.js";
import { h, guard, toast, fmtDate } from "../util.js";

export async function render(main) {
  const body = h("tbody", {});
  async function load() {
    const data = await api("/api/v1/tenants");
    body.replaceChildren(...data.results.map((t) => {
      const name = h("input", { value: t.name, "aria-label": `name of ${t.id}` });
      return h("tr", { "data-tenant": t.id },
        h("td", {}, h("code", {}, t.id)),
        h("td", {}, name),
        h("td", {}, fmtDate(t.created)),
        h("td", {},
          h("button", { type: "button", onclick: () => guard(async () => {
            await api(`/api/v1/tenants/${t.id}`, { method: "PUT", body: { name: name.value } });
            toast(`Renamed ${t.id}`);
          }) }, "Rename"),
          t.id === "main" ? null : h("button", { type: "button", class: "danger", onclick: () => guard(async () => {
            if (!confirm(`Delete tenant ${t.id}? It must hold no flow or execution.`)) return;
            await api(`/api/v1/tenants/${t.id}`, { method: "DELETE" });
            toast(`Deleted ${t.id}`); load(); window.dispatchEvent(new CustomEvent("tercel:login"));
          }) }, "Delete")));
    }));
  }
  const id = h("input", { id: "new-tenant-id", placeholder: "id (e.g. marketing)", "aria-label": "new tenant id" });
  const name = h("input", { id: "new-tenant-name", placeholder: "name", "aria-label": "new tenant name" });
  main.append(h("h1", {}, "Tenants"),
    h("p", { class: "hint" }, "Each tenant has its own flows, executions, namespaces, KV, secrets and files. Give people a role in a tenant with a binding (tercel access bind)."),
    h("form", { class: "row panel", onsubmit: (e) => { e.preventDefault(); guard(async () => {
      await api("/api/v1/tenants", { method: "POST", body: { id: id.value, name: name.value || null } });
      toast(`Created ${id.value}`); id.value = name.value = ""; load();
      window.dispatchEvent(new CustomEvent("tercel:login"));
    }); } }, id, name, h("button", { type: "submit", class: "primary" }, "Create tenant")),
    h("table", {}, h("thead", {}, h("tr", {}, ["Id", "Name", "Created", ""].map((t) => h("th", {}, t)))), body));
  await load();
}
