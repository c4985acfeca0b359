// The single-page app: history routing under /ui, theme toggle, login redirect.
import { api, authHeader, setAuth } from "./api.js";
import { h } from "./util.js";

const ROUTES = [
  [/^\/$/, "dashboard", "dashboard"],
  [/^\/login$/, "login", null],
  [/^\/flows$/, "flows", "flows"],
  [/^\/flows\/([^/]+)\/([^/]+)\/edit$/, "editor", "editor"],
  [/^\/flows\/([^/]+)\/([^/]+)$/, "flow", "flows"],
  [/^\/editor$/, "editor", "editor"],
  [/^\/executions$/, "executions", "executions"],
  [/^\/(?:[^/]+\/)?executions\/([^/]+)\/([^/]+)\/([^/]+)$/, "execution", "executions"],
  [/^\/namespaces$/, "namespaces", "namespaces"],
  [/^\/namespaces\/([^/]+)$/, "namespace", "namespaces"],
  [/^\/triggers$/, "triggers", "triggers"],
];

let cleanup = null;

export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, "", path); else history.pushState(null, "", path);
  route();
}

async function route() {
  if (cleanup) { try { cleanup(); } catch { /* page already gone */ } cleanup = null; }
  const url = new URL(location.href);
  const path = url.pathname.replace(/^\/ui/, "").replace(/\/$/, "") || "/";
  const main = document.getElementById("main");
  for (const [pattern, page, nav] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.nav === nav));
    main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      const module = await import(`./pages/${page}.js`);
      const params = match.slice(1).map(decodeURIComponent);
      main.replaceChildren();
      cleanup = (await module.render(main, params, url.searchParams)) || null;
      document.title = `${main.querySelector("h1")?.textContent || "Tercel"} · Tercel`;
    } catch (error) {
      if (error.status === 401) return;
      main.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { class: "error" }, error.message));
    }
    return;
  }
  main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, "No page at this address."));
}

document.addEventListener("click", (event) => {
  const a = event.target.closest("a[data-link]");
  if (!a || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", route);
window.addEventListener("tercel:unauthorized", () => {
  if (!location.pathname.startsWith("/ui/login")) {
    const next = location.pathname + location.search;
    navigate(`/ui/login?next=${encodeURIComponent(next)}`, true);
  }
});

function currentTheme() {
  const set = document.documentElement.dataset.theme;
  if (set) return set;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}
document.getElementById("theme").addEventListener("click", () => {
  const next = currentTheme() === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  localStorage.setItem("tercel.theme", next);
});
const logout = document.getElementById("logout");
logout.hidden = !authHeader();
logout.addEventListener("click", () => { setAuth(null); navigate("/ui/login", true); });
window.addEventListener("tercel:login", () => { logout.hidden = !authHeader(); });

// Keyboard: "g" then a letter jumps to a page (d f e x n t), "/" focuses the first search box.
let pendingG = false;
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.key === "/") {
    const search = document.querySelector("main input[type=search]");
    if (search) { event.preventDefault(); search.focus(); }
    return;
  }
  if (pendingG) {
    pendingG = false;
    const to = { d: "/ui/", f: "/ui/flows", e: "/ui/editor", x: "/ui/executions", n: "/ui/namespaces", t: "/ui/triggers" }[event.key];
    if (to) navigate(to);
    return;
  }
  if (event.key === "g") pendingG = true;
});

export { api };
route();
