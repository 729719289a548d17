"""The phone's re-sequencer in Chromium (issue 19): "the rest of today, 30 stops < 200 ms".

Run: .venv/bin/python bench/resequence.py [--smoke] [--days 40] [--stops 30]

Debian's chromium loads pwa/static/pwa/js/resequence.js as the phone does (an ES module, served
here from the source tree through Playwright's request routing: no server, no network), and
times ``resequence()`` inside the page with ``performance.now()`` on seeded days:

- field: a rep 40 minutes late at 10:00 with ``--stops`` stops left in a town-sized area
  (≈ 6 × 6 km), visits of 5–15 min, a third of the shops closed 13:00–16:00 (two windows),
  a quarter with one 3-hour window, two pinned stops, a 45-minute break in 12:00–14:00,
  shift end 19:00, the plan's matrix (great circle, as the server's default provider);
- overloaded: the same in a 13 × 13 km area with hours that cannot all be met (about half the
  stops no longer fit: the search's worst case, every stop left out tried everywhere).

Each day is timed once after a warm-up pass over all days (the JIT warmed, as on a phone that
has opened Today). Printed: p50 / p95 / max of the engine's time, unthrottled and with the CPU
throttled 4× (DevTools' Emulation.setCPUThrottlingRate), and the stops served / left out.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

ORIGIN = "http://bench.invalid"
STATIC = ROOT / "pwa" / "static"

# The page's side: seeded days (mulberry32), the engine timed on each.
RUN = """
async ({ days, stops, kind, warm }) => {
  const { greatCircleS, resequence } = await import("/static/pwa/js/resequence.js");
  const H = 3600, M = 60;
  const rng = (seed) => {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  };
  const dayOf = (seed) => {
    const r = rng(seed);
    const home = { lat: 41.39, lng: 2.17 };
    const span = kind === "field" ? 0.055 : 0.12;
    const list = Array.from({ length: stops }, (_, k) => {
      const location = { lat: home.lat + (r() - 0.5) * span,
                         lng: home.lng + (r() - 0.5) * span * 1.33 };
      const service_s = (kind === "field" ? [5, 10, 15] : [15, 20, 30])[Math.floor(r() * 3)] * M;
      const u = r();
      let windows = [];
      if (kind === "field") {
        if (u < 0.33) windows = [[9 * H, 13 * H - service_s], [16 * H, 20 * H - service_s]];
        else if (u < 0.58) {
          const a = Math.round(10 * H + r() * 5 * H);
          windows = [[a, a + 3 * H]];
        }
      } else if (u < 0.3) windows = [[9 * H, 13 * H - service_s], [16 * H, 19 * H - service_s]];
      else if (u < 0.6) { const a = Math.round(9 * H + r() * 4 * H); windows = [[a, a + 3 * H]]; }
      return { id: `s${k}`, location, service_s, windows, pinned: k < 2 };
    });
    const points = [["here", home], ...list.map((s) => [s.id, s.location]), ["home", home]];
    const matrix = { ids: points.map(([id]) => id),
                     duration_s: points.map(([, p]) => points.map(([, q]) => greatCircleS(p, q))) };
    return { now: 10 * H, from: "here", position: home, home, stops: list, matrix,
             shiftEnd: (kind === "field" ? 19 : 18) * H,
             break: { window: [12 * H, 14 * H], duration_s: 45 * M } };
  };
  const all = Array.from({ length: days }, (_, i) => dayOf(1000 + i));
  if (warm) for (const day of all) resequence(day);
  const out = [];
  for (const day of all) {
    const t0 = performance.now();
    const result = resequence(day);
    out.push({ ms: performance.now() - t0, served: result.order.length, end: result.end_s,
               dropped: result.dropped.length, evaluations: result.evaluations });
  }
  return out;
}
"""


def serve(route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path == "/":
        route.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>bench</title>"
        )
        return
    file = (STATIC / path.removeprefix("/static/")).resolve()
    if not path.startswith("/static/") or STATIC not in file.parents or not file.is_file():
        route.fulfill(status=404, body="")
        return
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if file.suffix == ".js":
        kind = "text/javascript"
    route.fulfill(status=200, content_type=kind, body=file.read_bytes())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=40, help="seeded days per case")
    parser.add_argument("--stops", type=int, default=30)
    parser.add_argument("--smoke", action="store_true", help="3 days, unthrottled only")
    args = parser.parse_args()
    days = 3 if args.smoke else args.days
    rates = [1] if args.smoke else [1, 4]

    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for rate in rates:
            page = browser.new_page()
            page.route(f"{ORIGIN}/**", serve)
            page.goto(f"{ORIGIN}/")
            cdp = page.context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            for kind in ("field", "overloaded"):
                runs = page.evaluate(RUN, {"days": days, "stops": args.stops, "kind": kind,
                                           "warm": True})  # fmt: skip
                ms = [r["ms"] for r in runs]
                rows.append({
                    "cpu": f"{rate}x", "case": kind, "stops": args.stops, "days": days,
                    "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(pct(ms, 0.95), 1),
                    "max_ms": round(max(ms), 1),
                    "served_mean": round(statistics.mean(r["served"] for r in runs), 1),
                    "dropped_mean": round(statistics.mean(r["dropped"] for r in runs), 1),
                    "evaluations_p50": int(statistics.median(r["evaluations"] for r in runs)),
                })  # fmt: skip
            page.close()
        browser.close()
    print(f"{'cpu':>4} {'case':>11} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'served':>7} {'left out':>8}  (aim: < 200 ms for {args.stops} stops)")  # fmt: skip
    for r in rows:
        print(f"{r['cpu']:>4} {r['case']:>11} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8} "
              f"{r['served_mean']:>7} {r['dropped_mean']:>8}")  # fmt: skip
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
