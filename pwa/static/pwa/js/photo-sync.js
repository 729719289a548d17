// The photos' upload loop (issue 21), run after each sync: a photo goes once its visit is on
// the server (no create of it queued), one at a time, resumable (photos.uploadPhoto).

import { allPhotos, deletePhoto, outboxItems, putPhoto } from "./db.js";
import { uploadPhoto, visitSynced } from "./photos.js";

// A sent photo's record (its blob already gone) is kept this long for the visit's "sent".
const SENT_KEPT_MS = 14 * 24 * 60 * 60 * 1000;
let running = null;

/**
 * Upload every photo whose visit has synced. One run at a time; a call during a run joins it.
 * @param {{photos: {start: Function, offset: Function, part: Function}}} api
 * @param {{onProgress?: () => void, isOnline?: () => boolean}} [options]
 * @returns {Promise<{sent: number, failed: number, later: number, sentBytes: number}>}
 */
export function uploadPhotos(api, { onProgress = () => {}, isOnline = () => globalThis.navigator?.onLine !== false } = {}) {
  if (running) return running;
  running = (async () => {
    const summary = { sent: 0, failed: 0, later: 0, sentBytes: 0 };
    const queued = await outboxItems();
    const now = Date.now();
    for (const photo of await allPhotos()) {
      if (photo.status === "sent" && now - Date.parse(photo.sent_at || 0) > SENT_KEPT_MS) {
        await deletePhoto(photo.id);
        continue;
      }
      if (photo.status !== "waiting" && photo.status !== "uploading") continue;
      if (!visitSynced(photo.visit_id, queued) || !isOnline()) continue;
      const out = await uploadPhoto(photo, api.photos, putPhoto);
      summary[out.status] += 1;
      summary.sentBytes += out.sentBytes;
      onProgress();
    }
    return summary;
  })().finally(() => {
    running = null;
  });
  return running;
}
