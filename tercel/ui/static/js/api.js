// REST client of the Tercel API in the chosen tenant, with the credentials of the login page:
// a session cookie (HttpOnly, set by the server) plus its CSRF token, or a basic/bearer header.
const KEY = "tercel.auth";
const CSRF = "tercel.csrf";
const TENANT_KEY = "tercel.tenant";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** The tenant the UI works in (the switcher sets it; `main` by default). */
export function tenant() { return localStorage.getItem(TENANT_KEY) || "main"; }
export function setTenant(id) { localStorage.setItem(TENANT_KEY, id); }
/** `/api/v1/<tenant>`: the base of every tenant path. */
export function base() { return `/api/v1/${encodeURIComponent(tenant())}`; }
export function setCsrf(token) {
  if (token) sessionStorage.setItem(CSRF, token); else sessionStorage.removeItem(CSRF);
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export function authHeader() { return sessionStorage.getItem(KEY); }
export function setAuth(header) {
  if (header) sessionStorage.setItem(KEY, header); else sessionStorage.removeItem(KEY);
}

/** Call the API: `path` is relative to /api/v1/<tenant> unless it starts with "/". */
export async function api(path, { method = "GET", body, headers = {}, raw = false, signal } = {}) {
  const url = path.startsWith("/") ? path : `${base()}/${path}`;
  // X-Tercel-UI: the server then answers 401 without a basic-auth challenge (no browser prompt).
  const h = { "X-Tercel-UI": "1", ...headers };
  const auth = authHeader();
  if (auth) h.Authorization = auth;
  const csrf = sessionStorage.getItem(CSRF);
  if (csrf && !SAFE.has(method)) h["X-CSRF-Token"] = csrf;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData) && typeof body !== "string") {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(url, { method, body: payload, headers: h, signal });
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent("tercel:unauthorized"));
  }
  if (!response.ok) {
    let parsed = null;
    try { parsed = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, parsed);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

/** Follow an SSE stream with fetch (EventSource cannot send an Authorization header). */
export function follow(path, onEvent) {
  const controller = new AbortController();
  (async () => {
    let response;
    try {
      response = await api(path, { raw: true, signal: controller.signal });
    } catch (error) {
      if (!controller.signal.aborted) onEvent("error", { message: error.message });
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let name = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) name = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
          }
          if (data.length) onEvent(name, JSON.parse(data.join("\n")));
        }
      }
      onEvent("close", null);
    } catch (error) {
      if (!controller.signal.aborted) onEvent("error", { message: error.message });
    }
  })();
  return () => controller.abort();
}
