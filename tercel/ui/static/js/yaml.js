// A small YAML highlighter (keys, strings, numbers, comments, {{ expressions }}), line by line.
const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
export const escape = (text) => text.replace(/[&<>"]/g, (c) => ESC[c]);

function value(text) {
  if (!text) return "";
  const expr = (t) => escape(t).replace(/\{\{.*?\}\}|\{%.*?%\}/g, (m) => `<span class="tok-expr">${m}</span>`);
  if (/^\s*#/.test(text)) return `<span class="tok-com">${escape(text)}</span>`;
  const comment = text.search(/\s#/);
  const body = comment >= 0 ? text.slice(0, comment) : text;
  const tail = comment >= 0 ? `<span class="tok-com">${escape(text.slice(comment))}</span>` : "";
  if (/^\s*-?\d+(\.\d+)?\s*$/.test(body) || /^\s*(true|false|null)\s*$/.test(body)) {
    return `<span class="tok-num">${escape(body)}</span>${tail}`;
  }
  return `<span class="tok-str">${expr(body)}</span>${tail}`;
}

/** One line of YAML as HTML. */
export function highlightLine(line) {
  if (/^\s*#/.test(line)) return `<span class="tok-com">${escape(line)}</span>`;
  const m = /^(\s*(?:- )*)([\w.$@-]+|"[^"]*"|'[^']*')(\s*:)(\s|$)(.*)$/.exec(line);
  if (m) {
    return `${escape(m[1])}<span class="tok-key">${escape(m[2])}</span>${m[3]}${m[4]}${value(m[5])}`;
  }
  const item = /^(\s*- )(.*)$/.exec(line);
  if (item) return escape(item[1]) + value(item[2]);
  if (/^\s*(---|\.\.\.)\s*$/.test(line)) return `<span class="tok-com">${escape(line)}</span>`;
  return value(line);
}

/** A whole document as HTML (one line per source line). */
export function highlight(text) {
  return text.split("\n").map(highlightLine).join("\n");
}
