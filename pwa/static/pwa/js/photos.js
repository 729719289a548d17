// A visit's photos on the phone (issue 21): compressed here (canvas, JPEG), kept in IndexedDB
// while offline, uploaded after the visit has synced by the server's resumable upload
// (README, "Visit photos, resumable"): POST once, PATCH parts of 64 KB at the server's
// offset, and after any drop or 409 ask the server where its bytes end: nothing that arrived
// is sent again. The loops are pure (encode and http are injected) so node --test drives them.

/** The kinds the server accepts (attachments.models.PhotoKind). */
export const PHOTO_KINDS = ["shelf", "display", "damage"];
export const MAX_SIDE = 1600;
export const MAX_BYTES = 480 * 1024;
export const PART_BYTES = 64 * 1024;
/** JPEG qualities tried in turn, best first, until the photo fits MAX_BYTES. */
export const QUALITIES = [0.86, 0.78, 0.7, 0.62, 0.54, 0.46, 0.38];
// Past the lowest quality the picture shrinks (a noisy picture may need it), at most so often.
const SHRINK = 0.8;
const MAX_SHRINKS = 4;
// Drops within one upload run before it waits for the next sync.
export const MAX_DROPS = 4;

/**
 * The size a picture is drawn at: its longest side at most `maxSide`, proportions kept.
 * @param {number} width
 * @param {number} height
 * @param {number} [maxSide]
 * @returns {{width: number, height: number}}
 */
export function fitSize(width, height, maxSide = MAX_SIDE) {
  const scale = Math.min(1, maxSide / Math.max(width, height, 1));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * The compression loop: each quality in turn, best first, until the encoded photo fits; past
 * the lowest the picture shrinks by a fifth and the qualities start again.
 * @param {(width: number, height: number, quality: number) => Promise<{size: number}>} encode
 * @param {{width: number, height: number}} source the picture's own size
 * @param {{maxBytes?: number, maxSide?: number, qualities?: number[]}} [options]
 * @returns {Promise<{blob: object, quality: number, width: number, height: number, tries: number}>}
 *   the first that fits, else the smallest tried
 */
export async function compressLoop(encode, source, { maxBytes = MAX_BYTES, maxSide = MAX_SIDE, qualities = QUALITIES } = {}) {
  let { width, height } = fitSize(source.width, source.height, maxSide);
  let best = null;
  let tries = 0;
  for (let round = 0; round <= MAX_SHRINKS; round += 1) {
    for (const quality of qualities) {
      const blob = await encode(width, height, quality);
      tries += 1;
      const result = { blob, quality, width, height, tries };
      if (!best || blob.size < best.blob.size) best = result;
      if (blob.size <= maxBytes) return result;
    }
    width = Math.max(1, Math.round(width * SHRINK));
    height = Math.max(1, Math.round(height * SHRINK));
  }
  return { ...best, tries };
}

/**
 * Compress a camera picture in the browser (canvas, JPEG).
 * @param {Blob} file
 * @returns {Promise<{blob: Blob, quality: number, width: number, height: number, tries: number}>}
 */
export async function compressImage(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d");
    const encode = (width, height, quality) => {
      canvas.width = width;
      canvas.height = height;
      context.drawImage(bitmap, 0, 0, width, height);
      return new Promise((resolve, reject) =>
        canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode"))), "image/jpeg", quality),
      );
    };
    return await compressLoop(encode, { width: bitmap.width, height: bitmap.height });
  } finally {
    bitmap.close?.();
  }
}

/**
 * @param {Blob|ArrayBuffer} data
 * @returns {Promise<string>} its SHA-256, lowercase hex
 */
export async function sha256Hex(data) {
  const bytes = data instanceof ArrayBuffer ? data : await data.arrayBuffer();
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** @param {{kind: string, data: *}} answer @returns {string} the refusal the server gave */
export function refusalOf(answer) {
  const detail = answer?.data?.detail;
  if (Array.isArray(detail) && detail[0]?.msg) return String(detail[0].msg);
  if (typeof detail === "string") return detail;
  return `HTTP ${answer?.status ?? 0}`;
}

/**
 * Upload one photo, resuming where the server's bytes end. `http` answers like api.request
 * ({kind, status, data}); `save` keeps the photo's progress (upload id, offset) in IndexedDB
 * after every step, so a page closed mid-way resumes too.
 * @param {object} photo {id, visit_id, kind, blob, size, sha256, content_type, upload_id?, offset?}
 * @param {{start: Function, offset: Function, part: Function}} http
 * @param {(photo: object) => Promise<void>} save
 * @returns {Promise<{status: "sent"|"failed"|"later", photo: object, sentBytes: number}>}
 */
export async function uploadPhoto(photo, http, save) {
  let p = { ...photo, status: "uploading", error: null };
  let sentBytes = 0;
  const done = async (status, extra = {}) => {
    p = { ...p, ...extra, status };
    if (status === "sent") p = { ...p, blob: null, offset: p.size, sent_at: new Date().toISOString() };
    if (status === "later") p = { ...p, status: "waiting" };
    await save(p);
    return { status, photo: p, sentBytes };
  };
  const refused = (answer) => done("failed", { error: refusalOf(answer) });
  if (!p.upload_id) {
    const answer = await http.start({ visit_id: p.visit_id, kind: p.kind, size: p.size, sha256: p.sha256,
      content_type: p.content_type }); // prettier-ignore
    if (answer.kind === "rejected") return refused(answer);
    if (answer.kind !== "ok") return done("later");
    p = { ...p, upload_id: answer.data.id, offset: answer.data.offset };
    await save(p);
    if (answer.data.complete) return done("sent");
  } else {
    // A photo whose upload started earlier: the server says where its bytes end.
    const answer = await http.offset(p.upload_id);
    if (answer.kind === "rejected") return refused(answer);
    if (answer.kind !== "ok") return done("later");
    if (answer.data.complete) return done("sent");
    p = { ...p, offset: answer.data.offset };
  }
  let drops = 0;
  while (p.offset < p.size) {
    const part = p.blob.slice(p.offset, Math.min(p.size, p.offset + PART_BYTES));
    const answer = await http.part(p.upload_id, p.offset, part);
    if (answer.kind === "ok") {
      sentBytes += part.size;
      p = { ...p, offset: answer.data.offset };
      if (answer.data.complete) return done("sent");
      await save(p);
      continue;
    }
    if (answer.kind === "rejected" && answer.status !== 409) return refused(answer);
    // A drop (no answer) or a 409 (the server is elsewhere): ask where it is, go on from there.
    drops += 1;
    if (drops > MAX_DROPS) return done("later");
    const where = answer.status === 409 && Number.isInteger(answer.data?.offset) ? answer : await http.offset(p.upload_id);
    if (where.kind === "rejected" && where.status !== 409) return refused(where);
    if (where.kind !== "ok" && where.status !== 409) return done("later");
    if (where.data?.complete) return done("sent");
    p = { ...p, offset: where.data.offset };
    await save(p);
  }
  return done("later");
}

/**
 * What the visit says of its photos: how many wait, are uploading, are sent, were refused.
 * @param {object[]} photos one visit's (drafts are not counted: the visit is not saved yet)
 * @returns {{waiting: number, uploading: number, sent: number, failed: number}}
 */
export function photoCounts(photos) {
  const counts = { waiting: 0, uploading: 0, sent: 0, failed: 0 };
  for (const photo of photos) if (photo.status in counts) counts[photo.status] += 1;
  return counts;
}

/**
 * Whether a visit is on the server, so its photos may go: no create of it is queued.
 * @param {string} visitId
 * @param {object[]} outboxItems
 */
export function visitSynced(visitId, outboxItems) {
  return !outboxItems.some((item) => item.entity === "visit" && item.action === "create" && item.id === visitId);
}
