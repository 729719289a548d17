// The visit form's photos (issue 21): the rep picks a kind and takes a photo with the camera;
// it is compressed here, kept in IndexedDB as a draft of this visit (thumbnail, remove), and
// becomes "waiting" when the visit is saved. The upload runs after the visit has synced.

import { deletePhoto, photosOfVisit, putPhoto } from "../db.js";
import { formatNumber, t } from "../i18n.js";
import { newId } from "../outbox.js";
import { PHOTO_KINDS, compressImage, photoCounts, sha256Hex } from "../photos.js";
import { field, h, mount } from "../ui.js";

/**
 * A photo's kind as the rep reads it (a kind this phone does not know shows as it is).
 * @param {string} kind
 */
export function kindLabel(kind) {
  return PHOTO_KINDS.includes(kind) ? t(`photo_kind_${kind}`) : String(kind);
}

/**
 * The photo picker of one visit. Object URLs of the thumbnails are revoked when the list is
 * drawn again and when the rep leaves the screen.
 * @param {string} visitId
 * @returns {{element: HTMLElement, refresh: () => Promise<void>}}
 */
export function photoPicker(visitId) {
  let urls = [];
  const revoke = () => {
    for (const url of urls) URL.revokeObjectURL(url);
    urls = [];
  };
  globalThis.addEventListener?.("hashchange", revoke, { once: true });
  const kind = h("select", null, PHOTO_KINDS.map((value) => h("option", { value }, t(`photo_kind_${value}`))));
  const status = h("p", { id: "photo-status", class: "muted", role: "status" });
  const list = h("ul", { class: "photo-strip", id: "photo-list" });
  const input = h("input", { type: "file", accept: "image/*", capture: "environment", id: "photo-input",
    hidden: true, multiple: true }); // prettier-ignore
  const add = h("button", { type: "button", class: "btn", id: "add-photo", onclick: () => input.click() }, t("add_photo"));

  async function refresh() {
    const photos = (await photosOfVisit(visitId)).filter((p) => p.blob && p.status !== "sent");
    photos.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    revoke();
    mount(list, photos.map((photo, i) => {
      const url = URL.createObjectURL(photo.blob);
      urls.push(url);
      const label = kindLabel(photo.kind);
      return h("li", { class: "photo" },
        h("img", { src: url, alt: t("photo_alt", { kind: label, n: formatNumber(i + 1) }), class: "thumb", width: 72, height: 72 }),
        h("span", { class: "photo-kind" }, label),
        h("span", { class: "muted photo-size" }, t("photo_kb", { n: formatNumber(Math.round(photo.size / 1024)) })),
        h("button", { type: "button", class: "btn btn-quiet remove-photo",
          "aria-label": t("remove_photo_n", { kind: label, n: formatNumber(i + 1) }),
          onclick: async () => {
            await deletePhoto(photo.id);
            await refresh();
          } }, t("remove_photo"))); // prettier-ignore
    }));
    list.dataset.count = String(photos.length);
  }

  input.addEventListener("change", async () => {
    const files = Array.from(input.files || []);
    input.value = "";
    for (const file of files) {
      status.textContent = t("photo_compressing");
      try {
        const { blob, width, height, quality } = await compressImage(file);
        await putPhoto({
          id: newId(), visit_id: visitId, kind: kind.value, blob, size: blob.size, width, height, quality,
          sha256: await sha256Hex(blob), content_type: "image/jpeg", status: "draft",
          upload_id: null, offset: 0, error: null, created_at: new Date().toISOString(),
        }); // prettier-ignore
        status.textContent = t("photo_added", { kind: kindLabel(kind.value), n: formatNumber(Math.round(blob.size / 1024)) });
      } catch {
        status.textContent = t("photo_unreadable");
      }
      await refresh();
    }
  });

  const element = h("fieldset", { class: "photos", id: "visit-photos" },
    h("legend", null, t("photos")),
    field("photo-kind", t("photo_kind"), kind),
    h("div", { class: "row" }, add),
    input, list, status,
    h("p", { class: "muted small" }, t("photo_limit"))); // prettier-ignore
  return { element, refresh };
}

/**
 * What a visit shows of its photos: "Photos: 2 waiting · 1 sent", and each refusal (kept,
 * never retried: the rep reads why and removes it).
 * @param {object[]} photos the visit's (drafts excluded by the counts)
 * @param {() => void} [redraw] after a refused photo is removed
 * @returns {HTMLElement|null}
 */
export function photoNote(photos, redraw = () => {}) {
  if (!photos?.length) return null;
  const counts = photoCounts(photos);
  const parts = ["waiting", "uploading", "sent", "failed"]
    .filter((key) => counts[key])
    .map((key) => t(`photos_${key}`, { n: formatNumber(counts[key]) }));
  if (!parts.length) return null;
  const refused = photos.filter((p) => p.status === "failed");
  return h("span", { class: "photo-note" },
    h("span", { class: "muted photo-status", "data-waiting": String(counts.waiting + counts.uploading),
      "data-sent": String(counts.sent) }, ` · ${t("photos")}: ${parts.join(" · ")}`),
    refused.length
      ? h("ul", { class: "photo-refusals" }, refused.map((p) =>
          h("li", { class: "warn" }, t("photo_refused", { kind: kindLabel(p.kind) }), " ", h("bdi", null, p.error || ""), " ",
            h("button", { type: "button", class: "btn btn-quiet", "aria-label": t("remove_refused_photo", { kind: kindLabel(p.kind) }),
              onclick: async () => {
                await deletePhoto(p.id);
                redraw();
              } }, t("remove_photo")))))
      : null); // prettier-ignore
}
