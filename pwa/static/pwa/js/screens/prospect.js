// A prospect found on the street: name and, from a fresh GPS fix taken here and now, its
// location (never the fix of the previous stop). No fix: the rep retries or saves it without
// a location, which is then recorded as missing (issue 14).

import { createProspect } from "../actions.js";
import { phoneReverseIndex, reverseLookup } from "../address-index.js";
import * as db from "../db.js";
import { formatDistance, t } from "../i18n.js";
import { field, h, mount, toast } from "../ui.js";
import { gpsFix } from "./gps-fix.js";

/**
 * @param {HTMLElement} root
 * @param {{navigate: Function}} ctx
 */
export async function renderProspect(root, ctx) {
  const name = h("input", { name: "name", required: true, autocomplete: "off" });
  const phone = h("input", { name: "phone", type: "tel", autocomplete: "off" });
  const address = h("input", { name: "address", autocomplete: "off", "aria-describedby": "prospect-address-hint" });
  const addressHint = h("p", { class: "sub", id: "prospect-address-hint", hidden: true });
  let filledAddress = "";
  // The nearest address from the offline index, never over what the rep typed.
  async function fillAddress(fix) {
    if (!fix || (address.value.trim() && address.value !== filledAddress)) return;
    const found = reverseLookup((await phoneReverseIndex(db)) || { cells: new Map() }, fix.location);
    if (!found || (address.value.trim() && address.value !== filledAddress)) return;
    address.value = filledAddress = found.label;
    const distance = formatDistance(found.distance_m);
    addressHint.textContent =
      found.kind === "address" ? t("address_from_index", { distance }) : t("street_from_index", { distance });
    addressHint.hidden = false;
  }
  const save = h("button", { type: "submit", class: "btn btn-primary btn-block", disabled: true,
    "aria-describedby": "prospect-location" }, t("save_prospect")); // prettier-ignore
  const gps = gpsFix({
    id: "prospect-location",
    missingText: t("prospect_no_position"),
    describe: (fix) => ({
      text: t("location_set", {
        lat: fix.location.lat.toFixed(5), lng: fix.location.lng.toFixed(5), accuracy: formatDistance(fix.accuracy_m),
      }), // prettier-ignore
      className: "fix-ok",
    }),
    onChange: (settled, state) => {
      save.disabled = !settled;
      if (state === "fixed") fillAddress(gps.fix).catch(() => {});
    },
  });

  mount(
    root,
    h("h1", null, t("new_prospect")),
    h(
      "form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          if (!name.value.trim() || !gps.settled) return;
          save.disabled = true;
          const record = await createProspect({
            name: name.value.trim(), phone: phone.value.trim(), address: address.value.trim(),
            location: gps.fix?.location ?? null,
          }); // prettier-ignore
          toast(t("prospect_saved"));
          ctx.navigate(`#/account/${record.id}`);
        },
      },
      field("prospect-name", t("name"), name),
      field("prospect-phone", t("field_phone"), phone),
      field("prospect-address", t("field_address"), address),
      addressHint,
      gps.element,
      save,
    ),
  );
  gps.start();
}
