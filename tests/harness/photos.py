"""Camera-like JPEGs made in the browser (issue 21's walk and bench/visit_photos.py): Pillow is
not in the venv, so Chromium draws a deterministic picture (gradients, shapes and seeded sensor
noise, the noise a phone camera leaves, which is what makes its photos big) and encodes it."""

from __future__ import annotations

import base64

# A seeded PRNG (mulberry32): the same seed is the same picture on every run and machine.
CAMERA_JS = """
async ([seed, width, height, quality]) => {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const sky = ctx.createLinearGradient(0, 0, width, height);
  sky.addColorStop(0, `hsl(${Math.round(rand() * 360)} 60% 70%)`);
  sky.addColorStop(1, `hsl(${Math.round(rand() * 360)} 50% 30%)`);
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, width, height);
  for (let i = 0; i < 60; i++) {  // shelves, boxes, labels
    const [h, sat, l] = [rand() * 360, 40 + rand() * 50, 25 + rand() * 50].map(Math.round);
    ctx.fillStyle = `hsl(${h} ${sat}% ${l}%)`;
    ctx.fillRect(rand() * width, rand() * height, rand() * width / 4, rand() * height / 6);
  }
  const image = ctx.getImageData(0, 0, width, height);
  const px = image.data;
  for (let i = 0; i < px.length; i += 4) {  // sensor noise
    const n = (rand() - 0.5) * 46;
    px[i] += n; px[i + 1] += n + (rand() - 0.5) * 12; px[i + 2] += n;
  }
  ctx.putImageData(image, 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
"""


def camera_jpeg(
    page, seed: int, width: int = 4000, height: int = 3000, quality: float = 0.9
) -> bytes:
    """A camera-like JPEG of ``width`` × ``height`` drawn and encoded in ``page``."""
    return base64.b64decode(page.evaluate(CAMERA_JS, [seed, width, height, quality]))
