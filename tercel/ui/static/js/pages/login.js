// Login: a user's name and password open a session (HttpOnly cookie + CSRF token); the
// operator's basic-auth credentials or an API token are kept in this tab's session storage.
import { api, setAuth, setCsrf } from "../api.js";
import { h } from "../util.js";
import { navigate } from "../main.js";

async function sessionLogin(username, password) {
  try {
    const me = await api("/api/v1/auth/login", { method: "POST", body: { username, password } });
    setCsrf(me.csrfToken);
    return true;
  } catch (error) {
    if (error.status === 429) throw error;
    return false;
  }
}

export function render(main, _params, query) {
  const user = h("input", { id: "user", autocomplete: "username" });
  const password = h("input", { id: "password", type: "password", autocomplete: "current-password" });
  const token = h("input", { id: "token", type: "password", placeholder: "or an API token" });
  const message = h("p", { class: "error", role: "alert" });
  async function submit(event) {
    event.preventDefault();
    setAuth(null);
    setCsrf(null);
    try {
      const session = !token.value && await sessionLogin(user.value, password.value);
      if (!session) {
        setAuth(token.value
          ? `Bearer ${token.value}`
          : `Basic ${btoa(unescape(encodeURIComponent(`${user.value}:${password.value}`)))}`);
        await api("/api/v1/me");
      }
      window.dispatchEvent(new CustomEvent("tercel:login"));
      navigate(query.get("next") || "/ui/", true);
    } catch (error) {
      setAuth(null);
      message.textContent = error.status === 401 ? "Wrong user, password or token." : error.message;
    }
  }
  main.append(h("form", { class: "panel login", onsubmit: submit },
    h("h1", {}, "Log in to Tercel"),
    h("label", { for: "user" }, "User"), user,
    h("label", { for: "password" }, "Password"), password,
    h("label", { for: "token" }, "API token"), token,
    message,
    h("p", {}, h("button", { class: "primary", type: "submit" }, "Log in"))));
  user.focus();
}
