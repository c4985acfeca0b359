// Triggers of every flow: state, enable/disable, backfill form and progress for schedules.
import { api } from "../api.js";
import { h, link, fmtDate, guard, toast } from "../util.js";

function progress(backfill) {
  const start = Date.parse(backfill.start), end = Date.parse(backfill.end), current = Date.parse(backfill.currentDate);
  const ratio = end > start ? Math.min(1, Math.max(0, (current - start) / (end - start))) : 1;
  return h("div", { class: "backfill", "data-progress": Math.round(ratio * 100) },
    h("div", { class: "progress", role: "progressbar", "aria-valuenow": Math.round(ratio * 100), "aria-valuemin": 0, "aria-valuemax": 100 },
      h("div", { style: `width:${ratio * 100}%` })),
    h("div", { class: "hint" }, `${Math.round(ratio * 100)}% · at ${fmtDate(backfill.currentDate)} · ${backfill.executions ?? 0} executions${backfill.paused ? " · paused" : ""}`));
}

function backfillForm(row, refresh) {
  const day = 24 * 3600 * 1000;
  const local = (d) => new Date(d - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const start = h("input", { type: "datetime-local", "aria-label": "backfill start", class: "bf-start", value: local(Date.now() - day) });
  const end = h("input", { type: "datetime-local", "aria-label": "backfill end", class: "bf-end", value: local(Date.now()) });
  return h("form", { class: "row", onsubmit: (e) => {
    e.preventDefault();
    guard(async () => {
      await api("triggers", { method: "PUT", body: { namespace: row.namespace, flowId: row.flowId, triggerId: row.triggerId,
        backfill: { start: new Date(start.value).toISOString(), end: new Date(end.value).toISOString() } } });
      toast("Backfill started");
      refresh();
    });
  } }, start, "→", end, h("button", { type: "submit", class: "bf-submit", "data-requires": "FLOW:UPDATE" }, "Backfill"));
}

/** A table of trigger rows ({namespace, flowId, triggerId, type, disabled, backfill, ...}). */
export async function triggerRows(rows, refresh) {
  const ref = (r) => ({ namespace: r.namespace, flowId: r.flowId, triggerId: r.triggerId });
  return h("table", { id: "triggers-table" },
    h("thead", {}, h("tr", {}, ["Flow", "Trigger", "Type", "Next date", "Enabled", "Backfill"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.map((r) => {
      const isSchedule = /Schedule$/.test(r.type || "");
      const toggle = h("input", { type: "checkbox", "data-requires": "FLOW:UPDATE", checked: !r.disabled, "aria-label": `enable ${r.triggerId}`, onchange: (e) => guard(async () => {
        await api("triggers", { method: "PUT", body: { ...ref(r), disabled: !e.target.checked } });
        toast(`${r.triggerId} ${e.target.checked ? "enabled" : "disabled"}`);
      }) });
      let backfill = null;
      if (r.backfill) {
        backfill = h("div", {}, progress(r.backfill), h("div", { class: "row" },
          h("button", { type: "button", "data-requires": "FLOW:UPDATE", onclick: () => guard(async () => { await api(`triggers/backfill/${r.backfill.paused ? "unpause" : "pause"}`, { method: "PUT", body: ref(r) }); refresh(); }) }, r.backfill.paused ? "Resume" : "Pause"),
          h("button", { type: "button", class: "danger", "data-requires": "FLOW:UPDATE", onclick: () => guard(async () => { await api("triggers/backfill/delete", { method: "POST", body: ref(r) }); refresh(); }) }, "Delete")));
      } else if (isSchedule) backfill = backfillForm(r, refresh);
      return h("tr", { "data-trigger": r.triggerId },
        h("td", {}, link(`/ui/flows/${r.namespace}/${r.flowId}`, `${r.namespace}.${r.flowId}`)),
        h("td", {}, r.triggerId),
        h("td", {}, (r.type || "").split(".").pop()),
        h("td", {}, fmtDate(r.nextExecutionDate)),
        h("td", {}, toggle),
        h("td", {}, backfill));
    })));
}

export async function render(main) {
  main.append(h("h1", {}, "Triggers"));
  const box = h("div", {});
  main.append(box);
  let timer = null;
  async function load() {
    const [flows, states] = await Promise.all([api("flows/search?size=1000"), api("triggers/search?size=1000")]);
    const byKey = Object.fromEntries(states.results.map((t) => [`${t.namespace}/${t.flowId}/${t.triggerId}`, t]));
    const rows = [];
    for (const f of flows.results) {
      for (const t of f.triggers || []) {
        const key = `${f.namespace}/${f.id}/${t.id}`;
        rows.push({ namespace: f.namespace, flowId: f.id, triggerId: t.id, disabled: !!t.disabled, ...(byKey[key] || {}), type: t.type });
      }
    }
    box.replaceChildren(rows.length ? await triggerRows(rows, load) : h("p", { class: "muted" }, "No flow has triggers."));
    clearTimeout(timer);
    // Backfills progress in the background: refresh while one is going.
    if (rows.some((r) => r.backfill && !r.backfill.paused)) timer = setTimeout(load, 1500);
  }
  await load();
  return () => clearTimeout(timer);
}
