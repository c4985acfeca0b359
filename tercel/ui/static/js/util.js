// Small DOM and formatting helpers shared by the pages.

/** Build an element: h("a", {href: "/x", onclick: fn}, "text", child...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** SVG element with attributes. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(key, value);
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const link = (href, ...children) => h("a", { href, "data-link": true }, ...children);
export const badge = (state) => h("span", { class: `badge st-${state}` }, state);
export const labels = (list, all = false) => (list || []).filter((l) => all || !l.key.startsWith("system.")).map((l) => h("span", { class: "label" }, `${l.key}:${l.value}`));

export function fmtDate(text) {
  if (!text) return "";
  const d = new Date(text);
  return isNaN(d) ? text : d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

/** ISO-8601 duration (PT1.5S) or a number of seconds, as "1.5s" / "2m 3s". */
export function fmtDuration(value) {
  let secs = value;
  if (typeof value === "string") {
    const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(value);
    if (!m) return value;
    secs = (+m[1] || 0) * 3600 + (+m[2] || 0) * 60 + (+m[3] || 0);
  }
  if (secs === undefined || secs === null || isNaN(secs)) return "";
  if (secs < 60) return `${secs.toFixed(secs < 10 ? 2 : 1)}s`;
  const mins = Math.floor(secs / 60);
  if (mins < 60) return `${mins}m ${Math.round(secs % 60)}s`;
  return `${Math.floor(mins / 60)}h ${mins % 60}m`;
}

export function toast(message, isError = false) {
  const box = document.getElementById("toast");
  const item = h("div", { class: isError ? "err" : "" }, message);
  box.append(item);
  setTimeout(() => item.remove(), isError ? 8000 : 4000);
}

/** Run an async action, showing its error as a toast. */
export async function guard(action) {
  try { return await action(); } catch (error) { toast(error.message, true); return undefined; }
}

export const TERMINAL = new Set(["SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED"]);

/** Tabs: [{id, title, render(container)}]; keyboard arrows move between them. */
export function tabs(items, selected) {
  const bar = h("div", { class: "tabs", role: "tablist" });
  const body = h("div", { role: "tabpanel" });
  const buttons = items.map((item, i) => h("button", {
    type: "button", role: "tab", id: `tab-${item.id}`,
    onclick: () => show(i),
    onkeydown: (e) => {
      if (e.key === "ArrowRight") { show((i + 1) % items.length); buttons[(i + 1) % items.length].focus(); }
      if (e.key === "ArrowLeft") { const j = (i - 1 + items.length) % items.length; show(j); buttons[j].focus(); }
    },
  }, item.title));
  function show(index) {
    buttons.forEach((b, j) => b.setAttribute("aria-selected", String(j === index)));
    body.replaceChildren();
    items[index].render(body);
  }
  bar.append(...buttons);
  show(Math.max(0, items.findIndex((t) => t.id === selected)));
  return h("div", {}, bar, body);
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
