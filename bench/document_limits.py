"""The time to refuse the worst templates (documents.limits): how long the server works on a
template before it stops at a limit, per limit, wall time and the process's CPU time.

Run: .venv/bin/python bench/document_limits.py [--runs 3]

Each template passes its limit with a 450-line order's data (documents.rules.render_pdf, what
`GET /api/v1/orders/{id}/pdf` does after reading the order): lines × lines loops (steps),
a value doubled by {% with %} and printed 200 times (HTML size), 200 forced page breaks
(pages: WeasyPrint lays out 151 pages, then stops), and the same with dense text on every
page (the slowest to refuse). The first run pays for the fonts.

Measured 2026-12-03 on the shared 2-core box (load average 9), 1 run each:
  steps 0.07 s wall (0.04 s CPU), html 0.01 s, pages 0.44 s (0.24 s CPU),
  dense 5.70 s wall (2.41 s CPU): 150 pages laid out, then refused.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")

DOUBLED = (
    '{% with a=account.name|ljust:"200" %}{% with b=a|add:a %}{% with c=b|add:b %}'
    "{% with d=c|add:c %}{% with e=d|add:d %}{% with f=e|add:e %}{% with g=f|add:f %}"
)
WORST = {
    "steps": "{% for a in lines %}{% for b in lines %}{% endfor %}{% endfor %}",
    "html": DOUBLED + "{{ g }}" * 200 + "{% endwith %}" * 7,
    "pages": '<p style="break-before: page">{{ document.number }}</p>' * 200,
    # ~3,800 characters of words a line, 450 lines: 1.7 million characters (under the HTML
    # limit), some 350 dense pages, stopped after laying out 150 of them.
    "dense": '{% with a=account.name|add:" " %}'
    + "".join(f"{{% with {n}={p}|add:{p} %}}" for p, n in zip("abcdefgh", "bcdefghi", strict=True))
    + "{% for x in lines %}<p>{{ i }}</p>{% endfor %}"
    + "{% endwith %}" * 9,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import django

    django.setup()
    from fieldcrm.core.errors import DomainError
    from fieldcrm.documents.placeholders import sample_data
    from fieldcrm.documents.rules import render_pdf

    data = sample_data(kind="quote", language="en")
    data["lines"] = [{**data["lines"][0], "position": str(i + 1)} for i in range(450)]
    render_pdf(kind="quote", language="en", data=sample_data(kind="quote", language="en"),
               body="<p>{{ document.number }}</p>", field="body")  # fmt: skip  # the fonts
    for name, body in WORST.items():
        walls, cpus, message = [], [], ""
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                render_pdf(kind="quote", language="en", data=data, body=body, field="body")
            except DomainError as exc:
                message = exc.message
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        wall_p50, cpu_p50 = statistics.median(walls), statistics.median(cpus)
        print(f"{name:6} refused in p50 {wall_p50:.2f} s wall, {cpu_p50:.2f} s CPU "
              f"(max {max(walls):.2f} s): {message}")  # fmt: skip


if __name__ == "__main__":
    main()
