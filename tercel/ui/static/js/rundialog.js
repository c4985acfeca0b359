// The Run dialog: a form built from a flow's inputs (or a Pause task's onResume inputs).
import { api } from "./api.js";
import { h } from "./util.js";

function field(input) {
  const id = `in-${input.id}`;
  const type = (input.type || "STRING").toUpperCase();
  const def = input.defaults ?? input.default;
  // `prefill` (Kestra 1.1) is only a starting value: the field may still be cleared.
  const initial = def ?? input.prefill;
  const common = { id, name: input.id, required: input.required !== false && def === undefined };
  let control;
  if (type === "BOOLEAN" || type === "BOOL") {
    control = h("select", { ...common, required: false }, ["true", "false"].map((v) => h("option", { value: v, selected: String(initial) === v }, v)));
  } else if (type === "SELECT" || type === "ENUM" || type === "MULTISELECT") {
    const values = input.values || input.options || [];
    const defaults = Array.isArray(initial) ? initial.map(String) : [String(initial)];
    control = h("select", { ...common, multiple: type === "MULTISELECT" }, type !== "MULTISELECT" && def === undefined ? h("option", { value: "" }, "—") : null,
      values.map((v) => h("option", { value: v, selected: defaults.includes(String(v)) }, v)));
  } else if (type === "FILE") {
    control = h("input", { ...common, type: "file" });
  } else if (type === "INT" || type === "FLOAT") {
    control = h("input", { ...common, type: "number", step: type === "INT" ? "1" : "any", min: input.min, max: input.max, value: initial ?? "" });
  } else if (type === "JSON" || type === "YAML" || type === "ARRAY") {
    control = h("textarea", { ...common, class: "code", rows: 4, cols: 50 }, initial === undefined ? "" : (typeof initial === "string" ? initial : JSON.stringify(initial)));
  } else {
    const html = { DATE: "date", DATETIME: "datetime-local", TIME: "time", EMAIL: "email", URI: "url", SECRET: "password" }[type] || "text";
    control = h("input", { ...common, type: html, value: initial ?? "", step: type === "DATETIME" || type === "TIME" ? "1" : undefined, placeholder: type === "DURATION" ? "PT5M" : undefined });
  }
  const error = h("div", { class: "error", id: `${id}-error` });
  return { input, type, control, error, el: h("div", {},
    h("label", { for: id }, input.displayName || input.id, " ", h("span", { class: "hint" }, type.toLowerCase(), common.required ? " · required" : "")),
    control, input.description ? h("div", { class: "hint" }, input.description) : null, error) };
}

function check(f) {
  const c = f.control;
  f.error.textContent = "";
  if (!c.checkValidity()) { f.error.textContent = c.validationMessage; return false; }
  if (["JSON", "ARRAY"].includes(f.type) && c.value.trim()) {
    try { JSON.parse(c.value); } catch { f.error.textContent = "not valid JSON"; return false; }
  }
  if (f.input.validator && c.value && !new RegExp(`^(?:${f.input.validator})$`).test(c.value)) {
    f.error.textContent = `must match ${f.input.validator}`; return false;
  }
  return true;
}

function formData(fields) {
  const data = new FormData();
  for (const f of fields) {
    const c = f.control;
    if (f.type === "FILE") { if (c.files[0]) data.append(f.input.id, c.files[0]); continue; }
    if (f.type === "MULTISELECT") { [...c.selectedOptions].forEach((o) => data.append(f.input.id, o.value)); continue; }
    if (c.value === "" ) continue;
    let value = c.value;
    if (f.type === "DATETIME" && !/[zZ]|[+-]\d\d:?\d\d$/.test(value)) value = new Date(value).toISOString();
    data.append(f.input.id, value);
  }
  return data;
}

/** Open a modal form; `submit(formData)` runs when every field is valid. Resolves its result. */
export function inputDialog({ title, inputs, action, submit, extra = null }) {
  return new Promise((resolve) => {
    const fields = (inputs || []).map(field);
    const message = h("div", { class: "error", role: "alert" });
    const dialog = h("dialog", { "aria-label": title });
    const form = h("form", { method: "dialog", novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const ok = fields.map(check).every(Boolean);
      if (!ok) { message.textContent = "Fix the inputs marked above."; return; }
      message.textContent = "";
      try {
        const result = await submit(formData(fields));
        dialog.close(); dialog.remove(); resolve(result);
      } catch (error) {
        const text = error.message || String(error);
        const hit = fields.find((f) => text.includes(f.input.id));
        if (hit) hit.error.textContent = text;
        message.textContent = text;
      }
    } },
    h("h1", {}, title),
    fields.length ? fields.map((f) => f.el) : h("p", { class: "muted" }, "This flow has no inputs."),
    extra, message,
    h("div", { class: "row", style: "margin-top:12px" },
      h("button", { class: "primary", type: "submit", id: "dialog-submit" }, action),
      h("button", { type: "button", onclick: () => { dialog.close(); dialog.remove(); resolve(null); } }, "Cancel")));
    fields.forEach((f) => f.control.addEventListener("change", () => check(f)));
    dialog.append(form);
    // Escape closes the dialog natively: treat it as Cancel.
    dialog.addEventListener("cancel", () => { dialog.remove(); resolve(null); });
    document.body.append(dialog);
    dialog.showModal();
    (fields[0]?.control || form.querySelector("button")).focus();
  });
}

/** The Run dialog of a flow: starts an execution, resolves it (or null when cancelled). */
export function runDialog(flow) {
  const labels = h("input", { id: "run-labels", placeholder: "key:value, key2:value2" });
  return inputDialog({
    title: `Run ${flow.namespace}.${flow.id}`,
    inputs: flow.inputs,
    action: "Run",
    extra: h("div", {}, h("label", { for: "run-labels" }, "Labels ", h("span", { class: "hint" }, "optional")), labels),
    submit: (data) => {
      const query = labels.value.split(",").map((t) => t.trim()).filter(Boolean)
        .map((l) => `labels=${encodeURIComponent(l)}`).join("&");
      const hasInputs = [...data.keys()].length > 0;
      return api(`executions/${flow.namespace}/${flow.id}${query ? `?${query}` : ""}`, { method: "POST", body: hasInputs ? data : undefined });
    },
  });
}
