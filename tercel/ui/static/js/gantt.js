// A Gantt chart of task runs and their attempts (SVG).
import { s, fmtDuration } from "./util.js";

const ROW = 22, LABEL = 220, WIDTH = 1100;

const firstDate = (state) => Date.parse(state?.histories?.[0]?.date || state?.startDate || 0);
const lastDate = (state, now) => (state?.endDate ? Date.parse(state.endDate) : TERMINALS.has(state?.current) ? Date.parse(state.histories.at(-1).date) : now);
const TERMINALS = new Set(["SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED"]);

export function gantt(execution) {
  const now = Date.now();
  const runs = execution.taskRunList || [];
  const start = firstDate(execution.state);
  const end = Math.max(start + 1, lastDate(execution.state, now), ...runs.map((r) => lastDate(r.state, now)));
  const x = (t) => LABEL + ((t - start) / (end - start)) * (WIDTH - LABEL - 10);
  const rows = runs.map((run, i) => {
    const y = i * ROW + 4;
    const label = run.value !== undefined && run.value !== null ? `${run.taskId} [${run.value}]` : run.taskId;
    const attempts = run.attempts && run.attempts.length ? run.attempts : [{ state: run.state }];
    return s("g", { "data-task": run.taskId },
      s("text", { x: 4, y: y + 14 }, label.length > 28 ? `${label.slice(0, 27)}…` : label),
      attempts.map((a, n) => {
        const a0 = firstDate(a.state), a1 = lastDate(a.state, now);
        return s("rect", { class: `bar s-${a.state?.current}`, x: x(a0), y: y + 3, width: Math.max(2, x(a1) - x(a0)), height: ROW - 8, rx: 3 },
          s("title", {}, `${label} attempt ${n + 1}: ${a.state?.current} · ${fmtDuration((a1 - a0) / 1000)}`));
      }));
  });
  const body = Math.max(ROW, runs.length * ROW + 8);
  const hgt = body + 18;
  // A time axis: five ticks from the execution's start, in seconds.
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const t = start + f * (end - start);
    return s("g", {}, s("line", { x1: x(t), y1: 0, x2: x(t), y2: body, stroke: "currentColor", opacity: 0.12 }),
      s("text", { x: x(t), y: body + 13, "text-anchor": f === 1 ? "end" : "middle", opacity: 0.6 }, fmtDuration((t - start) / 1000)));
  });
  return s("svg", { class: "gantt", width: WIDTH, height: hgt, role: "img", "aria-label": "task runs over time" },
    s("line", { x1: LABEL, y1: 0, x2: LABEL, y2: body, stroke: "currentColor", opacity: 0.2 }), ticks, rows);
}
