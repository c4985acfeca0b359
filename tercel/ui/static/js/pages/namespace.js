// A namespace: variables, namespace files (editor), KV entries, secret names.
import { api } from "../api.js";
import { h, tabs, guard, toast, fmtDate } from "../util.js";
import { CodeEditor } from "../editor.js";

export async function render(main, [ns], query) {
  main.append(h("h1", {}, `Namespace ${ns}`), tabs([
    { id: "variables", title: "Variables", render: (box) => variables(box, ns) },
    { id: "files", title: "Files", render: (box) => files(box, ns) },
    { id: "kv", title: "KV store", render: (box) => kv(box, ns) },
    { id: "secrets", title: "Secrets", render: (box) => secrets(box, ns) },
  ], query.get("tab") || "variables"));
}

async function variables(box, ns) {
  const record = await api(`namespaces/${ns}`).catch(() => ({ variables: {}, pluginDefaults: [], description: "" }));
  const text = h("textarea", { class: "code", rows: 12, style: "width:100%", "aria-label": "variables as JSON", id: "ns-variables" }, JSON.stringify(record.variables || {}, null, 2));
  box.append(h("p", { class: "hint" }, "Variables as a JSON object; flows read them as {{ namespace.<name> }}. Children inherit them."), text,
    h("p", {}, h("button", { type: "button", class: "primary", "data-requires": "NAMESPACE:UPDATE", onclick: () => guard(async () => {
      let variables;
      try { variables = JSON.parse(text.value); } catch { toast("Variables must be a JSON object", true); return; }
      await api(`namespaces/${ns}`, { method: "PUT", body: { description: record.description, variables, pluginDefaults: record.pluginDefaults || [] } });
      toast("Variables saved");
    }) }, "Save variables")));
}

async function files(box, ns) {
  const tree = h("ul", { class: "problems", style: "max-height:60vh" });
  const editorBox = h("div", {});
  const pathInput = h("input", { placeholder: "/scripts/main.py", "aria-label": "new file path" });
  let dir = "/";
  async function list(path) {
    dir = path;
    const entries = await api(`namespaces/${ns}/files/directory?path=${encodeURIComponent(path)}`).catch(() => []);
    tree.replaceChildren(...[
      path !== "/" ? h("li", { tabindex: 0, onclick: () => list(path.replace(/\/[^/]+\/?$/, "") || "/") }, "⬑ ..") : null,
      ...entries.map((e) => h("li", { tabindex: 0, onclick: () => (e.type === "Directory" ? list(e.path) : open(e.path)),
        onkeydown: (ev) => { if (ev.key === "Enter") ev.currentTarget.click(); } }, e.type === "Directory" ? `📁 ${e.fileName}` : `📄 ${e.fileName}`))].filter(Boolean));
    if (!entries.length) tree.append(h("li", { class: "muted" }, "empty"));
  }
  async function open(path, content = null) {
    const text = content ?? await api(`namespaces/${ns}/files?path=${encodeURIComponent(path)}`, { raw: true }).then((r) => r.text());
    const editor = new CodeEditor({ value: text, label: `file ${path}` });
    editorBox.replaceChildren(h("div", { class: "row" }, h("code", {}, path), h("span", { class: "spacer" }),
      h("button", { type: "button", class: "primary", "data-requires": "FLOW:UPDATE", onclick: () => guard(async () => {
        const data = new FormData();
        data.append("fileContent", new Blob([editor.value]), path.split("/").pop());
        await api(`namespaces/${ns}/files?path=${encodeURIComponent(path)}`, { method: "POST", body: data });
        toast(`Saved ${path}`); list(dir);
      }) }, "Save"),
      h("button", { type: "button", class: "danger", "data-requires": "FLOW:UPDATE", onclick: () => guard(async () => {
        await api(`namespaces/${ns}/files?path=${encodeURIComponent(path)}`, { method: "DELETE" });
        editorBox.replaceChildren(); list(dir);
      }) }, "Delete")), editor.el);
  }
  box.append(h("form", { class: "row", onsubmit: (e) => { e.preventDefault(); if (pathInput.value) open(pathInput.value.startsWith("/") ? pathInput.value : `/${pathInput.value}`, ""); } },
    pathInput, h("button", { type: "submit", "data-requires": "FLOW:UPDATE" }, "New file")),
  h("div", { style: "display:grid;grid-template-columns:260px 1fr;gap:12px" }, h("div", { class: "panel" }, tree), editorBox));
  await list("/");
}

async function kv(box, ns) {
  const table = h("tbody", {});
  async function load() {
    const entries = await api(`namespaces/${ns}/kv`);
    table.replaceChildren(...(entries.length ? entries.map((e) => h("tr", {},
      h("td", {}, h("code", {}, e.key)), h("td", {}, e.type), h("td", { class: "kv-value" }, h("button", { type: "button", onclick: async (ev) => {
        const v = await api(`namespaces/${ns}/kv/${encodeURIComponent(e.key)}`);
        ev.target.replaceWith(h("code", {}, JSON.stringify(v.value)));
      } }, "Show")), h("td", {}, fmtDate(e.updateDate)), h("td", {}, fmtDate(e.expirationDate)),
      h("td", {}, h("button", { type: "button", class: "danger", "data-requires": "KVSTORE:DELETE", onclick: () => guard(async () => { await api(`namespaces/${ns}/kv/${encodeURIComponent(e.key)}`, { method: "DELETE" }); load(); }) }, "Delete"))))
      : [h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No key."))]));
  }
  const key = h("input", { placeholder: "key", "aria-label": "key" });
  const value = h("input", { placeholder: 'value (JSON or text)', "aria-label": "value" });
  box.append(h("form", { class: "row", onsubmit: (e) => { e.preventDefault(); guard(async () => {
    await api(`namespaces/${ns}/kv/${encodeURIComponent(key.value)}`, { method: "PUT", body: value.value, headers: { "Content-Type": "text/plain" } });
    key.value = value.value = ""; load();
  }); } }, key, value, h("button", { type: "submit", "data-requires": "KVSTORE:UPDATE" }, "Set")),
  h("table", {}, h("thead", {}, h("tr", {}, ["Key", "Type", "Value", "Updated", "Expires", ""].map((t) => h("th", {}, t)))), table));
  await load();
}

async function secrets(box, ns) {
  const list = h("tbody", {});
  async function load() {
    const data = await api(`namespaces/${ns}/secrets`);
    list.replaceChildren(...(data.results.length ? data.results.map((s) => h("tr", {}, h("td", {}, h("code", {}, s.key)), h("td", {}, "••••••"),
      h("td", {}, h("button", { type: "button", class: "danger", "data-requires": "SECRET:DELETE", onclick: () => guard(async () => { await api(`namespaces/${ns}/secrets/${encodeURIComponent(s.key)}`, { method: "DELETE" }); load(); }) }, "Delete"))))
      : [h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No secret."))]));
  }
  const key = h("input", { placeholder: "NAME", "aria-label": "secret name" });
  const value = h("input", { type: "password", placeholder: "value", "aria-label": "secret value" });
  box.append(h("p", { class: "hint" }, "Only names are shown: values never leave the server."),
    h("form", { class: "row", onsubmit: (e) => { e.preventDefault(); guard(async () => {
      await api(`namespaces/${ns}/secrets`, { method: "PUT", body: { key: key.value, value: value.value } });
      key.value = value.value = ""; load();
    }); } }, key, value, h("button", { type: "submit", "data-requires": "SECRET:UPDATE" }, "Set secret")),
    h("table", {}, list));
  await load();
}
