// Issue 21: a visit photo is compressed by stepping the JPEG quality down until it fits (then
// shrinking), and its upload resumes at the server's offset after a drop or a 409, never
// sending again what arrived; a 422 is kept and shown, not retried.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  MAX_BYTES,
  PART_BYTES,
  QUALITIES,
  compressLoop,
  fitSize,
  photoCounts,
  uploadPhoto,
  visitSynced,
} from "../static/pwa/js/photos.js";

test("the longest side is at most 1600 px, proportions kept, never enlarged", () => {
  assert.deepEqual(fitSize(4000, 3000), { width: 1600, height: 1200 });
  assert.deepEqual(fitSize(3000, 4000), { width: 1200, height: 1600 });
  assert.deepEqual(fitSize(800, 600), { width: 800, height: 600 });
});

// An encoder whose size grows with quality and area (as a JPEG's does).
const encoder = (bytesPerPixelAt) => {
  const calls = [];
  const encode = async (width, height, quality) => {
    calls.push([width, height, quality]);
    return { size: Math.round(width * height * bytesPerPixelAt(quality)) };
  };
  return { encode, calls };
};

test("the quality steps down until the photo fits 480 KB and stops there", async () => {
  // 1600 × 1200 at 0.30 bytes/pixel per unit of quality: 0.86 → 495 KB, 0.78 → 449 KB.
  const { encode, calls } = encoder((q) => 0.3 * q);
  const out = await compressLoop(encode, { width: 4000, height: 3000 });
  assert.deepEqual(calls.map((c) => c[2]), [QUALITIES[0], QUALITIES[1]]);
  assert.equal(out.quality, QUALITIES[1]);
  assert.ok(out.blob.size <= MAX_BYTES);
  assert.deepEqual([out.width, out.height], [1600, 1200]);
});

test("a photo that fits at once is encoded once, at the best quality", async () => {
  const { encode, calls } = encoder(() => 0.05);
  const out = await compressLoop(encode, { width: 1600, height: 1200 });
  assert.equal(calls.length, 1);
  assert.equal(out.quality, QUALITIES[0]);
});

test("past the lowest quality the picture shrinks and the qualities start again", async () => {
  const { encode, calls } = encoder((q) => 0.9 * q); // even 0.38 is 641 KB at 1600 × 1200
  const out = await compressLoop(encode, { width: 1600, height: 1200 });
  assert.equal(calls.slice(0, QUALITIES.length).every((c) => c[0] === 1600), true);
  assert.deepEqual(calls[QUALITIES.length], [1280, 960, QUALITIES[0]]);
  assert.ok(out.blob.size <= MAX_BYTES);
  assert.ok(out.width < 1600);
});

test("a picture that never fits answers the smallest tried", async () => {
  const { encode } = encoder(() => 1000);
  const out = await compressLoop(encode, { width: 1600, height: 1200 }, { qualities: [0.8, 0.5] });
  assert.equal(out.tries, 10);
  assert.ok(out.width < 700);
});

// A server with the upload protocol's rules, and a network that drops what we tell it to.
function fakeServer({ size, dropAnswerOf = new Set(), dropBefore = new Set(), refuseLast = false }) {
  const s = { received: 0, parts: [], bytesIn: 0, starts: 0, gets: 0, complete: false, calls: 0 };
  const answer = () => ({ kind: "ok", status: 200, data: { id: "u1", offset: s.received, complete: s.complete } });
  s.http = {
    start: async () => {
      s.starts += 1;
      return answer();
    },
    offset: async () => {
      s.gets += 1;
      return answer();
    },
    part: async (_id, offset, blob) => {
      s.calls += 1;
      if (dropBefore.has(s.calls)) return { kind: "transient", status: 0, data: null };
      s.bytesIn += blob.size;
      if (offset !== s.received) {
        return { kind: "rejected", status: 409, data: { offset: s.received, detail: [{ loc: ["header", "Upload-Offset"], msg: "at" }] } };
      }
      if (refuseLast && offset + blob.size === size) {
        return { kind: "rejected", status: 422, data: { detail: [{ loc: ["body", "file"], msg: "Not a JPEG." }] } };
      }
      s.parts.push([offset, blob.size]);
      s.received += blob.size;
      s.complete = s.received === size;
      if (dropAnswerOf.has(s.calls)) return { kind: "transient", status: 0, data: null };
      return answer();
    },
  };
  return s;
}

const photo = (size) => ({
  id: "p1", visit_id: "v1", kind: "shelf", size, sha256: "a".repeat(64), content_type: "image/jpeg",
  blob: new Blob([new Uint8Array(size)]), status: "waiting",
}); // prettier-ignore

test("a photo goes in 64 KB parts, and its blob is dropped once sent", async () => {
  const size = 3 * PART_BYTES + 100;
  const server = fakeServer({ size });
  const saved = [];
  const out = await uploadPhoto(photo(size), server.http, async (p) => saved.push(p));
  assert.equal(out.status, "sent");
  assert.deepEqual(server.parts.map((p) => p[1]), [PART_BYTES, PART_BYTES, PART_BYTES, 100]);
  assert.equal(server.starts, 1);
  assert.equal(saved.at(-1).blob, null);
  assert.equal(saved.at(-1).upload_id, "u1");
});

test("an answer lost after the server took the part: ask the offset, do not send it again", async () => {
  const size = 3 * PART_BYTES;
  const server = fakeServer({ size, dropAnswerOf: new Set([2]) });
  const out = await uploadPhoto(photo(size), server.http, async () => {});
  assert.equal(out.status, "sent");
  assert.equal(server.bytesIn, size); // nothing re-sent
  assert.equal(server.gets, 1);
  assert.equal(out.sentBytes, size - PART_BYTES); // the lost answer's part is not counted as ours
});

test("a part dropped before it arrived is sent from the server's offset", async () => {
  const size = 2 * PART_BYTES;
  const server = fakeServer({ size, dropBefore: new Set([1]) });
  const out = await uploadPhoto(photo(size), server.http, async () => {});
  assert.equal(out.status, "sent");
  assert.deepEqual(server.parts, [[0, PART_BYTES], [PART_BYTES, PART_BYTES]]);
  assert.equal(server.bytesIn, size);
});

test("a 409 names the server's offset and the upload goes on from it", async () => {
  const size = 2 * PART_BYTES;
  const server = fakeServer({ size });
  server.received = PART_BYTES; // another tab sent the first part
  const out = await uploadPhoto({ ...photo(size), upload_id: "u1", offset: 0 }, server.http, async () => {});
  assert.equal(out.status, "sent");
  // Resuming, the phone asked first: no 409 at all, the second part only.
  assert.equal(server.gets, 1);
  assert.deepEqual(server.parts, [[PART_BYTES, PART_BYTES]]);
});

test("a refusal (422) is kept with its message and not retried", async () => {
  const size = PART_BYTES + 10;
  const server = fakeServer({ size, refuseLast: true });
  const out = await uploadPhoto(photo(size), server.http, async () => {});
  assert.equal(out.status, "failed");
  assert.equal(out.photo.error, "Not a JPEG.");
  assert.ok(out.photo.blob, "the photo is kept");
});

test("no signal: the photo waits for the next sync, its upload id kept", async () => {
  const size = PART_BYTES * 2;
  const server = fakeServer({ size, dropBefore: new Set([1, 2, 3, 4, 5, 6]) });
  const http = { ...server.http, offset: async () => ({ kind: "transient", status: 0, data: null }) };
  const out = await uploadPhoto(photo(size), http, async () => {});
  assert.equal(out.status, "later");
  assert.equal(out.photo.status, "waiting");
  assert.equal(out.photo.upload_id, "u1");
});

test("the counts and the sync rule", () => {
  const list = [{ status: "waiting" }, { status: "sent" }, { status: "sent" }, { status: "draft" }];
  assert.deepEqual(photoCounts(list), { waiting: 1, uploading: 0, sent: 2, failed: 0 });
  const items = [{ entity: "visit", action: "create", id: "v1" }, { entity: "visit", action: "update", id: "v2" }];
  assert.equal(visitSynced("v1", items), false);
  assert.equal(visitSynced("v2", items), true);
});
