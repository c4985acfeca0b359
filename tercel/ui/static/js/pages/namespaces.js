// Namespaces: every namespace that is stored or has flows.
import { api } from "../api.js";
import { h, link } from "../util.js";

export async function render(main) {
  const data = await api("namespaces/search");
  main.append(h("h1", {}, "Namespaces"),
    data.results.length
      ? h("table", {}, h("tbody", {}, data.results.map((n) => h("tr", {}, h("td", { style: `padding-left:${8 + 16 * (n.id.split(".").length - 1)}px` }, link(`/ui/namespaces/${n.id}`, n.id))))))
      : h("p", { class: "muted" }, "No namespace yet: create a flow."));
}
