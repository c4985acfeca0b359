// The single-page app: history routing under /ui, theme toggle, login redirect.
import { api, authHeader, setAuth, setCsrf, tenant, setTenant } from "./api.js";
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
  [/^\/tenants$/, "tenants", "tenants"],
  [/^\/audit$/, "audit", "audit"],
];

// Who is logged in and what they may do per tenant (GET /api/v1/me), for the tenant switcher
// and to hide the controls of actions the server would refuse anyway.
let me = null;

export function allowed(permission) {
  if (!me) return true;
  if (me.superAdmin) return true;
  const [resource, action] = permission.split(":");
  const granted = me.tenants?.[tenant()]?.permissions?.[resource] || [];
  return granted.includes(action);
}

function applyPermissions(root = document) {
  root.querySelectorAll("[data-requires]").forEach((el) => {
    el.hidden = !el.dataset.requires.split(" ").every(allowed);
  });
}
new MutationObserver(() => applyPermissions()).observe(document.body, { childList: true, subtree: true });

async function loadMe() {
  try {
    me = await api("/api/v1/me");
  } catch {
    me = null;
  }
  const select = document.getElementById("tenant");
  const tenants = Object.keys(me?.tenants || {});
  if (me && tenants.length && !tenants.includes(tenant())) setTenant(tenants[0]);
  select.replaceChildren(...tenants.map((id) => h("option", { value: id }, id)));
  select.value = tenant();
  select.hidden = tenants.length < 2;
  document.querySelector("#nav a[data-nav=tenants]").hidden = !me?.superAdmin;
  document.querySelector("#nav a[data-nav=audit]").hidden = !(me && allowed("AUDITLOG:READ"));
  document.getElementById("whoami").textContent = me && me.username !== "local" ? me.username : "";
  logout.hidden = !(authHeader() || (me && me.type === "USER"));
  applyPermissions();
}

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
logout.hidden = true;
logout.addEventListener("click", async () => {
  try { await api("/api/v1/auth/logout", { method: "POST" }); } catch { /* already out */ }
  setAuth(null);
  setCsrf(null);
  me = null;
  navigate("/ui/login", true);
});
window.addEventListener("tercel:login", () => { loadMe().then(route); });
document.getElementById("tenant").addEventListener("change", (event) => {
  setTenant(event.target.value);
  applyPermissions();
  navigate("/ui/");
});

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
loadMe().then(route);
