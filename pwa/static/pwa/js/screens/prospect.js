// A prospect found on the street: name and, prefilled from one GPS read, its location.

import { createProspect } from "../actions.js";
import { currentFix } from "../geo.js";
import { formatDistance, t } from "../i18n.js";
import { field, h, mount, toast } from "../ui.js";

/**
 * @param {HTMLElement} root
 * @param {{navigate: Function}} ctx
 */
export async function renderProspect(root, ctx) {
  let location = null;
  const name = h("input", { name: "name", required: true, autocomplete: "off" });
  const phone = h("input", { name: "phone", type: "tel", autocomplete: "off" });
  const address = h("input", { name: "address", autocomplete: "off" });
  const where = h("p", { class: "fix", role: "status", "aria-live": "polite", id: "prospect-location" }, t("locating"));
  const relocate = h("button", { type: "button", class: "btn btn-quiet", onclick: () => locate() }, t("use_my_location"));

  async function locate() {
    where.textContent = t("locating");
    try {
      const fix = await currentFix();
      location = fix.location;
      where.textContent = t("location_set", {
        lat: location.lat.toFixed(5), lng: location.lng.toFixed(5), accuracy: formatDistance(fix.accuracy_m),
      }); // prettier-ignore
    } catch {
      where.textContent = t("no_fix_prospect");
    }
  }

  mount(
    root,
    h("h1", null, t("new_prospect")),
    h(
      "form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          if (!name.value.trim()) return;
          const record = await createProspect({
            name: name.value.trim(), phone: phone.value.trim(), address: address.value.trim(), location,
          }); // prettier-ignore
          toast(t("prospect_saved"));
          ctx.navigate(`#/account/${record.id}`);
        },
      },
      field("prospect-name", t("name"), name),
      field("prospect-phone", t("field_phone"), phone),
      field("prospect-address", t("field_address"), address),
      where,
      relocate,
      h("button", { type: "submit", class: "btn btn-primary btn-block" }, t("save_prospect")),
    ),
  );
  locate();
}
