// Login: basic auth (user + password) or an API token, kept in this tab's session storage.
import { api, setAuth } from "../api.js";
import { h } from "../util.js";
import { navigate } from "../main.js";

export function render(main, _params, query) {
  const user = h("input", { id: "user", autocomplete: "username" });
  const password = h("input", { id: "password", type: "password", autocomplete: "current-password" });
  const token = h("input", { id: "token", type: "password", placeholder: "or an API token" });
  const message = h("p", { class: "error", role: "alert" });
  async function submit(event) {
    event.preventDefault();
    const header = token.value
      ? `Bearer ${token.value}`
      : `Basic ${btoa(unescape(encodeURIComponent(`${user.value}:${password.value}`)))}`;
    setAuth(header);
    try {
      await api("flows/distinct-namespaces");
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
