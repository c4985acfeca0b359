// Line diff (longest common subsequence): enough for flow sources of a few hundred lines.
import { h } from "./util.js";

export function diffLines(a, b) {
  const x = a.split("\n"), y = b.split("\n");
  const n = x.length, m = y.length;
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push([" ", x[i]]); i++; j++; }
    else if (table[i + 1][j] >= table[i][j + 1]) out.push(["-", x[i++]]);
    else out.push(["+", y[j++]]);
  }
  while (i < n) out.push(["-", x[i++]]);
  while (j < m) out.push(["+", y[j++]]);
  return out;
}

/** The diff as a block of lines coloured by kind. */
export function diffView(a, b) {
  return h("div", { class: "diff src", style: "padding:8px;overflow:auto;max-height:60vh" },
    diffLines(a, b).map(([kind, text]) =>
      h("div", { class: kind === "+" ? "add" : kind === "-" ? "del" : "" }, `${kind} ${text}`)));
}
