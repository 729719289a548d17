"""HTML to PDF with WeasyPrint: the rendered template inside our page shell (language,
direction, fonts), with every URL refused, so a template cannot make the server fetch
anything (no file:// read of the server's disk, no request to the network).

Fonts come from the system through fontconfig (Debian's fonts-noto-core: Noto Sans for Latin
with Vietnamese diacritics, Noto Sans Arabic / Noto Naskh Arabic for Persian; DejaVu Sans as
the fallback) and WeasyPrint embeds the subsets it uses in the PDF, so the file shows the same
on a machine without them. Persian letters are joined and laid out right to left by Pango
(HarfBuzz shaping and the Unicode bidi algorithm) under ``dir="rtl"``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.html import escape
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from fieldcrm.documents import limits
from fieldcrm.documents.placeholders import RTL_LANGUAGES

STYLE = """
@page { size: A4; margin: 18mm 16mm 20mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #666; } }
html { font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-size: 10pt; color: #111; }
html[lang="fa"] { font-family: "Noto Sans Arabic", "Noto Naskh Arabic", "DejaVu Sans", sans-serif; }
h1 { font-size: 18pt; margin: 0 0 4pt; } h2 { font-size: 11pt; margin: 12pt 0 4pt; }
.doc-head { display: flex; justify-content: space-between; border-bottom: 1pt solid #999; }
.seller { font-weight: bold; font-size: 12pt; }
table { border-collapse: collapse; width: 100%; margin-top: 10pt; }
th, td { padding: 3pt 4pt; text-align: start; vertical-align: top; }
.lines th { border-bottom: 1pt solid #333; font-size: 8.5pt; }
.lines td { border-bottom: 0.5pt solid #ddd; }
.lines thead { display: table-header-group; } .lines tr { page-break-inside: avoid; }
.num { text-align: end; white-space: nowrap; }
.totals { width: 45%; margin-inline-start: auto; } .totals .grand { font-weight: bold; }
.facts th { width: 30%; color: #444; }
.notes, .foot { margin-top: 12pt; } .foot { color: #555; font-size: 8.5pt; }
"""


class NoFetching(URLFetcher):
    """Refuses every URL (images, stylesheets, fonts named by a template)."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        raise ValueError(f"Documents fetch nothing: {url[:80]}")


def page_html(*, body: str, language: str, title: str) -> str:
    """The document's whole HTML: ``body`` (rendered already) in the language's direction."""
    direction = "rtl" if language in RTL_LANGUAGES else "ltr"
    return (
        f'<!doctype html><html lang="{escape(language)}" dir="{direction}"><head>'
        f'<meta charset="utf-8"><title>{escape(title)}</title><style>{STYLE}</style>'
        f"</head><body>{body}</body></html>"
    )


class PageCounter(logging.Filter):
    """WeasyPrint logs each page it lays out ("Step 5 - Creating layout - Page %d") and each
    step after on ``weasyprint.progress``: the render's budget (limits) counts the pages and
    the time there and raises RenderLimit, which stops the layout before the next page. Every
    record is dropped (False), so the logger's INFO level never reaches a handler."""

    LAYOUT = "Step 5 - Creating layout - Page %d"

    def filter(self, record: logging.LogRecord) -> bool:
        budget = limits.current()
        if budget is not None:
            if record.msg == self.LAYOUT and record.args:
                budget.page(int(record.args[0]))  # type: ignore[index,call-overload]
            else:
                budget.tick()
        return False


PROGRESS = logging.getLogger("weasyprint.progress")
PROGRESS.addFilter(PageCounter())


def pdf_bytes(html: str) -> bytes:
    """The PDF of ``html`` (A4), fonts embedded; at most limits.MAX_PAGES pages, within the
    render's budget (RenderLimit otherwise)."""
    with limits.budget() as budget:
        PROGRESS.setLevel(logging.INFO)  # the counter sees records only when INFO is on
        PROGRESS.disabled = False  # (a logging config may have switched it off)
        document = HTML(string=html, base_url=None, url_fetcher=NoFetching()).render()
        budget.page(len(document.pages))  # again, in case the progress log was not seen
        return document.write_pdf()
