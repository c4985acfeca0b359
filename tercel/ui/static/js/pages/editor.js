// The flow editor: live validation (line/column markers), completion, save as a new revision,
// blueprints as starting points.
import { api } from "../api.js";
import { h, debounce, toast } from "../util.js";
import { CodeEditor } from "../editor.js";
import { navigate } from "../main.js";

const STARTER = `id: hello
namespace: company.team

inputs:
  - id: user
    type: STRING
    defaults: world

tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.user }}"
`;

let completionCache = null;

export async function render(main, [namespace, id]) {
  const editing = Boolean(namespace);
  const [flow, completions, blueprints] = await Promise.all([
    editing ? api(`flows/${namespace}/${id}?source=true`) : null,
    completionCache || api("ui/completions").then((c) => (completionCache = c)),
    editing ? [] : api("ui/blueprints").catch(() => []),
  ]);
  const status = h("span", { id: "validation-status", class: "muted", role: "status" }, "");
  const problemList = h("ul", { class: "problems", id: "problems", "aria-label": "Problems" });
  const save = h("button", { class: "primary", type: "button", id: "save", "data-requires": "FLOW:UPDATE" }, "Save");
  let latest = 0;
  const validate = debounce(async (text) => {
    const ticket = ++latest;
    if (!text.trim()) { editor.setProblems([]); status.textContent = "empty"; return; }
    let results;
    try {
      results = await api("flows/validate", { method: "POST", body: text, headers: { "Content-Type": "application/x-yaml" } });
    } catch (error) {
      results = [{ valid: false, problems: [{ message: error.message, line: null, column: null, severity: "error" }] }];
    }
    if (ticket !== latest) return; // an older answer arriving late
    const problems = results.flatMap((r) => r.problems || []);
    editor.setProblems(problems);
    const errors = problems.filter((p) => p.severity === "error").length;
    status.textContent = errors ? `${errors} error(s)` : problems.length ? `valid · ${problems.length} warning(s)` : "valid";
    status.className = errors ? "error" : "muted";
    problemList.replaceChildren(...problems.map((p) => h("li", {
      tabindex: 0, class: p.severity === "error" ? "error" : "",
      "data-line": p.line, "data-column": p.column,
      onclick: () => editor.goTo(p.line || 1, p.column || 1),
      onkeydown: (e) => { if (e.key === "Enter") editor.goTo(p.line || 1, p.column || 1); },
    }, `${p.line ? `${p.line}:${p.column ?? 1}` : "—"} ${p.severity}: ${p.message}`, p.hint ? h("span", { class: "hint" }, ` — ${p.hint}`) : null)));
  }, 250);
  const editor = new CodeEditor({ value: flow ? flow.source : STARTER, completions, onChange: validate });

  save.addEventListener("click", async () => {
    const text = editor.value;
    try {
      const saved = editing
        ? await api(`flows/${namespace}/${id}`, { method: "PUT", body: text, headers: { "Content-Type": "application/x-yaml" } })
        : await api("flows", { method: "POST", body: text, headers: { "Content-Type": "application/x-yaml" } });
      toast(`Saved ${saved.namespace}.${saved.id} revision ${saved.revision}`);
      navigate(`/ui/flows/${saved.namespace}/${saved.id}`);
    } catch (error) {
      toast(error.message, true);
      if (error.body?.problems) editor.setProblems(error.body.problems);
    }
  });
  document.addEventListener("keydown", onKey);
  function onKey(e) { if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save.click(); } }

  const picker = blueprints.length ? h("select", { "aria-label": "Start from a blueprint", id: "blueprint", style: "max-width:280px", onchange: (e) => {
    const found = blueprints.find((b) => b.id === e.target.value);
    if (found) editor.value = found.source;
  } }, h("option", { value: "" }, "Start from a blueprint…"), blueprints.map((b) => h("option", { value: b.id }, b.title))) : null;

  main.append(
    h("div", { class: "row" }, h("h1", {}, editing ? `Edit ${namespace}.${id}` : "New flow"), status, h("span", { class: "spacer" }), picker, save),
    h("p", { class: "hint" }, "Ctrl+Space completes types and properties · Ctrl+S saves · Esc then Tab leaves the editor"),
    editor.el, problemList);
  editor.textarea.focus();
  validate(editor.value);
  return () => document.removeEventListener("keydown", onKey);
}
