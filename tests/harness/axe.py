"""axe-core (pwa/node_modules, pinned in pwa/package.json) run in a Playwright page.

The source is evaluated in the page (``page.evaluate`` of the file's text: Playwright runs it
through the DevTools protocol, which the page's Content-Security-Policy does not govern), so
the page is checked exactly as served, its policy untouched; no ``<script>`` tag, no CDN.

``violations(page)`` returns the serious and critical violations of the page (frames included:
axe walks same-origin iframes where it was injected too); ``report(found)`` makes them readable
(rule, impact, summary, and each node's target and failure summary).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tests.harness.env import ROOT

AXE_JS = ROOT / "pwa" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@cache
def _source() -> str:
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: make setup (npm ci in pwa/)")
    # Wrapped so it also runs where axe's UMD header sees no `module`/`define` and sets
    # window.axe; evaluated as a function body, it returns nothing large to Python.
    return "() => {" + AXE_JS.read_text(encoding="utf-8") + "\n; return typeof axe; }"


def inject(frame: Any) -> None:
    """axe into ``frame`` (a page or a frame), once."""
    if frame.evaluate("() => typeof window.axe") != "object":
        assert frame.evaluate(_source()) == "object", "axe-core did not load"


RUN = """async (options) => {
    const result = await axe.run(document, options);
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({
            impact: n.impact, target: n.target.map(String).join(' '),
            summary: n.failureSummary || '', html: n.html.slice(0, 200),
        })),
    }));
}"""


def violations(page: Any, impacts: tuple[str, ...] = SERIOUS) -> list[dict]:
    """The violations of ``impacts`` on ``page`` and in each of its (same-origin) frames,
    each with the frame's URL."""
    found: list[dict] = []
    for frame in page.frames:
        if frame.is_detached() or not frame.url.startswith(("http://", "https://")):
            continue
        inject(frame)
        # Each frame checks its own document; axe's own iframe walk would need it injected
        # in every frame before the run anyway.
        options = {"iframes": False, "resultTypes": ["violations"]}
        for violation in frame.evaluate(RUN, options):
            nodes = [n for n in violation["nodes"] if n["impact"] in impacts]
            if nodes:
                found.append({**violation, "nodes": nodes, "url": frame.url})
    return found


def report(found: list[dict]) -> str:
    """``found`` (from ``violations``) as lines a failing assertion can print."""
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])}] @ {v['url']}")
        for node in v["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary[:300]}")
            lines.append(f"        {node['html']}")
    return "\n".join(lines)


def count(found: list[dict]) -> int:
    """Nodes in violation (what the README's before/after figures count)."""
    return sum(len(v["nodes"]) for v in found)
