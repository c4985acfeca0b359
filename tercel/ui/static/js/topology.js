// Topology of a flow as nested SVG boxes: a flowable's child lists are drawn inside it.
import { s } from "./util.js";

const LEAF_W = 230, LEAF_H = 38, GAP = 18, PAD = 12, HEAD = 22;
const SECTIONS = ["tasks", "errors", "finally", "afterExecution"];

/** Child lists of a task: arrays of {id, type} maps, and maps of such arrays (Switch cases). */
export function childLists(task) {
  const lists = [];
  for (const [key, value] of Object.entries(task)) {
    if (Array.isArray(value) && value.length && value.every((t) => t && typeof t === "object" && t.id && t.type)) {
      lists.push([key, value]);
    } else if (value && typeof value === "object" && !Array.isArray(value) && key !== "retry") {
      for (const [case_, tasks] of Object.entries(value)) {
        if (Array.isArray(tasks) && tasks.length && tasks.every((t) => t && t.id && t.type)) lists.push([`${key}.${case_}`, tasks]);
      }
    } else if (value && typeof value === "object" && value.id && value.type && key !== "retry") {
      lists.push([key, [value]]);
    }
  }
  return lists;
}

// Children of a parallel flowable run side by side (no arrows); other lists run in order.
const PARALLEL = /(Parallel|Dag)$/;

function layoutList(tasks, parallel = false) {
  const items = tasks.map(layoutTask);
  const gaps = GAP * Math.max(0, items.length - 1);
  if (parallel) {
    return { items, parallel, w: items.reduce((sum, i) => sum + i.w, 0) + gaps, h: Math.max(...items.map((i) => i.h)) };
  }
  const w = Math.max(LEAF_W, ...items.map((i) => i.w));
  return { items, parallel, w, h: items.reduce((sum, i) => sum + i.h, 0) + gaps };
}

function layoutTask(task) {
  const lists = childLists(task).map(([name, tasks]) => ({ name, ...layoutList(tasks, name === "tasks" && PARALLEL.test(task.type || "")) }));
  if (!lists.length) return { task, w: LEAF_W, h: LEAF_H, lists };
  const w = Math.max(LEAF_W, ...lists.map((l) => l.w)) + 2 * PAD;
  const hgt = HEAD + lists.reduce((sum, l) => sum + l.h + HEAD, 0) + PAD;
  return { task, w, h: hgt, lists };
}

function shortType(type) { return (type || "").split(".").pop(); }

function drawList(layout, x, y, states, out, onSelect) {
  if (layout.parallel) {
    let cx = x;
    for (const item of layout.items) { drawTask(item, cx, y, states, out, onSelect); cx += item.w + GAP; }
    return;
  }
  let cy = y;
  layout.items.forEach((item, index) => {
    drawTask(item, x, cy, states, out, onSelect);
    if (index < layout.items.length - 1) {
      const ax = x + LEAF_W / 2;
      out.push(s("path", { class: "edge", d: `M${ax} ${cy + item.h} L${ax} ${cy + item.h + GAP - 3}`, "marker-end": "url(#arrow)" }));
    }
    cy += item.h + GAP;
  });
}

function drawTask(item, x, y, states, out, onSelect) {
  const { task } = item;
  const state = states ? states[task.id] : undefined;
  const cls = `node${state ? ` s-${state}` : ""}`;
  const title = s("title", {}, `${task.id} (${task.type})${state ? ` — ${state}` : ""}`);
  if (!item.lists.length) {
    const g = s("g", { class: cls, tabindex: "0", "data-task": task.id, role: "button", "aria-label": `task ${task.id}` },
      title,
      s("rect", { x, y, width: LEAF_W, height: LEAF_H, rx: 6 }),
      s("text", { x: x + 10, y: y + 16, "font-weight": "600" }, task.id),
      s("text", { x: x + 10, y: y + 31, class: "muted", opacity: 0.7 }, shortType(task.type) + (state ? ` · ${state}` : "")));
    if (onSelect) {
      g.addEventListener("click", () => onSelect(task.id));
      g.addEventListener("keydown", (e) => { if (e.key === "Enter") onSelect(task.id); });
    }
    out.push(g);
    return;
  }
  out.push(s("g", { class: `cluster ${cls}`, "data-task": task.id },
    title,
    s("rect", { x, y, width: item.w, height: item.h, rx: 8 }),
    s("text", { x: x + 10, y: y + 15, "font-weight": "600" }, `${task.id} · ${shortType(task.type)}${state ? ` · ${state}` : ""}`)));
  let cy = y + HEAD;
  for (const list of item.lists) {
    out.push(s("text", { x: x + PAD, y: cy + 13, opacity: 0.6 }, list.name));
    drawList(list, x + PAD, cy + HEAD, states, out, onSelect);
    cy += HEAD + list.h;
  }
}

/** The SVG of a flow (its JSON as the API returns it); `states` maps task id to state. */
export function topology(flow, states = null, onSelect = null) {
  const out = [];
  let y = 10, width = LEAF_W + 20;
  for (const section of SECTIONS) {
    const tasks = flow[section];
    if (!Array.isArray(tasks) || !tasks.length) continue;
    const layout = layoutList(tasks);
    out.push(s("text", { x: 10, y: y + 12, "font-weight": "700", opacity: 0.7 }, section));
    drawList(layout, 10, y + 20, states, out, onSelect);
    y += layout.h + 20 + 24;
    width = Math.max(width, layout.w + 20);
  }
  const defs = s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" },
    s("path", { d: "M0 0 L10 5 L0 10 z", fill: "currentColor", opacity: 0.6 })));
  return s("svg", { width, height: y, class: "topology", role: "img", "aria-label": "flow topology" }, defs, out);
}
