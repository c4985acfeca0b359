// A YAML code editor: highlighted <pre> under a transparent <textarea>, line gutter with
// problem markers, and a completion popup (Ctrl+Space, or automatically after `type:`).
import { h } from "./util.js";
import { highlightLine, escape } from "./yaml.js";

const LINE = 19, PADDING = 10;

/** Where the caret is: the line, the key being typed, the enclosing map's `type`. */
export function caretContext(text, offset) {
  const before = text.slice(0, offset);
  const lines = before.split("\n");
  const line = lines[lines.length - 1];
  const typeValue = /^\s*(?:- )?type:\s*(\S*)$/.exec(line);
  if (typeValue) return { kind: "type", word: typeValue[1] };
  const key = /^(\s*)(- )?([\w.]*)$/.exec(line);
  if (!key) return null;
  const indent = key[1].length + (key[2] ? 2 : 0);
  // The sibling keys of the map under the caret tell which type's properties to offer.
  const all = text.split("\n");
  const here = lines.length - 1;
  let type = null;
  const siblings = new Set();
  const scan = (i) => {
    const m = /^(\s*)(- )?([\w.]+):\s*(.*)$/.exec(all[i]);
    if (!m) return "skip";
    const at = m[1].length + (m[2] ? 2 : 0);
    if (at < indent) return "stop";
    if (at > indent) return "skip";
    siblings.add(m[3]);
    if (m[3] === "type") type = m[4].trim();
    return m[2] ? "stop-after" : "skip";
  };
  for (let i = here - 1; i >= 0; i--) {
    if (key[2]) break; // a new list item: its siblings come after
    const r = scan(i);
    if (r === "stop" || r === "stop-after") break;
  }
  for (let i = here + 1; i < all.length; i++) {
    const m = /^(\s*)(- )?/.exec(all[i]);
    if (all[i].trim() && m[1].length + (m[2] ? 2 : 0) <= indent && (m[2] || m[1].length < indent)) break;
    if (scan(i) === "stop") break;
  }
  return { kind: "key", word: key[3], indent, type, siblings, topLevel: indent === 0 };
}

export class CodeEditor {
  constructor({ value = "", onChange = () => {}, completions = null, label = "Flow YAML" }) {
    this.onChange = onChange;
    this.completions = completions;
    this.problems = [];
    this.gutter = h("div", { class: "gutter", "aria-hidden": "true" });
    this.pre = h("pre", { "aria-hidden": "true" });
    this.textarea = h("textarea", { class: "code", spellcheck: false, autocapitalize: "off", autocomplete: "off", wrap: "off", "aria-label": label, id: "yaml" });
    this.popup = h("ul", { class: "completion", role: "listbox", hidden: true });
    this.area = h("div", { class: "area" }, this.pre, this.textarea, this.popup);
    this.el = h("div", { class: "editor" }, this.gutter, this.area);
    this.textarea.value = value;
    this.escaped = false;
    this.textarea.addEventListener("input", () => { this.paint(); this.onChange(this.value); this.autoComplete(); });
    this.textarea.addEventListener("keydown", (e) => this.keydown(e));
    this.textarea.addEventListener("blur", () => setTimeout(() => this.hidePopup(), 150));
    this.textarea.addEventListener("click", () => this.hidePopup());
    this.paint();
  }

  get value() { return this.textarea.value; }
  set value(text) { this.textarea.value = text; this.paint(); this.onChange(text); }

  /** Problems: [{line, column, message, severity}] (1-based). */
  setProblems(problems) { this.problems = problems; this.paint(); }

  paint() {
    const lines = this.value.split("\n");
    const byLine = new Map();
    for (const p of this.problems) if (p.line) { if (!byLine.has(p.line)) byLine.set(p.line, []); byLine.get(p.line).push(p); }
    this.pre.innerHTML = lines.map((line, i) => {
      const found = byLine.get(i + 1);
      if (!found) return highlightLine(line);
      const p = found[0];
      const col = Math.max(0, Math.min(line.length, (p.column || 1) - 1));
      let end = line.slice(col).search(/[\s:]/);
      end = end <= 0 ? line.length : col + end;
      const kind = found.some((f) => f.severity !== "warning") ? "" : " warning";
      const marked = line.slice(col, Math.max(end, col + 1)) || " ";
      return `${escape(line.slice(0, col))}<span class="mark${kind}" title="${escape(p.message)}">${escape(marked)}</span>${escape(line.slice(col + marked.length))}`;
    }).join("\n") + "\n";
    this.gutter.replaceChildren(...lines.map((_, i) => {
      const found = byLine.get(i + 1);
      const cls = found ? (found.some((f) => f.severity !== "warning") ? "bad" : "warn") : "";
      return h("div", { class: cls, title: found ? found.map((f) => f.message).join("\n") : undefined, "data-line": i + 1 }, String(i + 1));
    }));
    this.area.style.height = `${lines.length * LINE + 2 * PADDING + LINE}px`;
  }

  /** Put the caret at a 1-based line and column and show it. */
  goTo(line, column = 1) {
    const lines = this.value.split("\n");
    let offset = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
    offset += Math.max(0, (column || 1) - 1);
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset);
    this.el.scrollTop = Math.max(0, (line - 5) * LINE);
  }

  insert(text) {
    const { selectionStart: a, selectionEnd: b } = this.textarea;
    this.textarea.setRangeText(text, a, b, "end");
    this.textarea.dispatchEvent(new Event("input"));
  }

  keydown(e) {
    if (!this.popup.hidden) {
      const items = [...this.popup.children];
      const at = items.findIndex((li) => li.getAttribute("aria-selected") === "true");
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const next = (at + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        items.forEach((li, i) => li.setAttribute("aria-selected", String(i === next)));
        items[next].scrollIntoView({ block: "nearest" });
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); this.accept(items[Math.max(0, at)]); return; }
      if (e.key === "Escape") { e.preventDefault(); this.hidePopup(); return; }
    }
    if (e.key === " " && e.ctrlKey) { e.preventDefault(); this.showCompletion(true); return; }
    if (e.key === "Escape") { this.escaped = true; return; }
    if (e.key === "Tab" && !this.escaped && !e.shiftKey) { e.preventDefault(); this.insert("  "); return; }
    if (e.key === "Enter") {
      // Keep the indentation of the line (and indent after a `key:`).
      e.preventDefault();
      const before = this.value.slice(0, this.textarea.selectionStart).split("\n").pop();
      let indent = /^\s*/.exec(before)[0];
      if (/^\s*- /.test(before)) indent += "  ";
      if (/:\s*$/.test(before)) indent += "  ";
      this.insert(`\n${indent}`);
      return;
    }
    this.escaped = false;
  }

  autoComplete() {
    if (this.accepted) { this.accepted = false; return; } // the text just inserted by accept()
    const ctx = caretContext(this.value, this.textarea.selectionStart);
    const complete = ctx && ctx.kind === "type" && this.completions && ctx.word in this.completions.types;
    if (ctx && ctx.kind === "type" && ctx.word.length >= 1 && !complete) this.showCompletion(false);
    else this.hidePopup();
  }

  candidates(ctx) {
    const c = this.completions;
    if (!c || !ctx) return [];
    if (ctx.kind === "type") return Object.keys(c.types).filter((t) => t.toLowerCase().includes(ctx.word.toLowerCase()));
    let names;
    if (ctx.topLevel) names = c.flow;
    else if (ctx.type && c.types[ctx.type]) names = [...c.types[ctx.type].properties];
    else names = ["id", "type"];
    if (!ctx.siblings.has("type") && !ctx.topLevel) names = ["type", ...names];
    return names.filter((n) => n.startsWith(ctx.word) && !ctx.siblings.has(n));
  }

  showCompletion(explicit) {
    const ctx = caretContext(this.value, this.textarea.selectionStart);
    const found = this.candidates(ctx).slice(0, 200);
    if (!found.length) { this.hidePopup(); return; }
    this.context = ctx;
    this.popup.replaceChildren(...found.map((name, i) => {
      const info = ctx.kind === "type" ? this.completions.types[name] : null;
      return h("li", { role: "option", "aria-selected": String(i === 0), "data-value": name, title: info?.description || "",
        onmousedown: (e) => { e.preventDefault(); this.accept(e.currentTarget); } }, name);
    }));
    const before = this.value.slice(0, this.textarea.selectionStart).split("\n");
    const charW = this.charWidth();
    this.popup.style.top = `${before.length * LINE + PADDING}px`;
    this.popup.style.left = `${Math.min(before[before.length - 1].length * charW + PADDING, 600)}px`;
    this.popup.hidden = false;
    void explicit;
  }

  accept(li) {
    if (!li) return;
    const name = li.dataset.value;
    const ctx = this.context;
    const pos = this.textarea.selectionStart;
    this.textarea.setSelectionRange(pos - ctx.word.length, pos);
    this.hidePopup();
    this.accepted = true;
    this.insert(ctx.kind === "type" ? name : `${name}: `);
  }

  hidePopup() { this.popup.hidden = true; }

  charWidth() {
    if (!this._charW) {
      const probe = h("span", { style: "font: 13px ui-monospace, 'DejaVu Sans Mono', Menlo, monospace; visibility:hidden; position:absolute" }, "x".repeat(50));
      document.body.append(probe);
      this._charW = probe.getBoundingClientRect().width / 50 || 7.8;
      probe.remove();
    }
    return this._charW;
  }
}
