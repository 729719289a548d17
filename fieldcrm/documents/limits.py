"""What one document may cost, so an admin's template cannot take the server's time or memory
(README, "Documents from templates", "Limits").

A template is checked when saved or previewed (loops nested at most MAX_LOOP_DEPTH deep, a
filter's width or precision a small literal number); everything else is counted while the
document is made, in one ``Budget`` per render, and stops it at the first limit passed:

- the rendered HTML: each text, variable and tag's output is counted as it is produced, so the
  render stops after MAX_HTML_CHARS, never after building the whole string; one value after its
  filters is at most MAX_VALUE_CHARS (a filter that would make more is stopped before it runs);
- steps: every node rendered and every loop iteration (counted before the loop runs) is one,
  at most MAX_STEPS, so an empty loop inside a loop costs its iterations too;
- pages: WeasyPrint reports each page it lays out on its ``weasyprint.progress`` logger;
  pdf.py counts them there and stops the layout at page MAX_PAGES + 1 (and checks the page
  count of the finished layout again);
- wall clock: RENDER_SECONDS for the whole render (template, layout, PDF), checked at each of
  those counting points. There is no timer thread or signal: WeasyPrint runs in-process in
  Pango's C code, which a timer could not interrupt safely (a signal only reaches the main
  thread, and an exception thrown into a thread at a random point can leave WeasyPrint's or
  the database connection's state half-changed). The budget is cooperative, so the time is
  checked only between steps; no step is long, as each is bounded by the limits above.

Passing a limit raises ``RenderLimit`` (a message for the user); selectors turn it into a 422
naming ``body`` (the editor's preview) or ``template`` (a document from a saved template).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# Loops inside loops: a list of lines with something listed inside each line at most.
MAX_LOOP_DEPTH = 2
# ~3,000 order lines in the built-in layout (~650 characters each).
MAX_HTML_CHARS = 2_000_000
# One {{ value|filters }}: a long note, not a book.
MAX_VALUE_CHARS = 20_000
# ljust/rjust/center/wordwrap widths and floatformat digits, written in the template.
MAX_WIDTH = 200
MAX_DIGITS = 20
# Nodes rendered plus loop iterations: the built-in quote takes ~12 per line.
MAX_STEPS = 200_000
# A 3,000-line order in the built-in layout is ~90 pages.
MAX_PAGES = 150
# The whole render: a backstop; 150 dense pages are refused in ~2.5 s of CPU
# (bench/document_limits.py), a slow shared box or heavy tables stretch that.
RENDER_SECONDS = 60.0

monotonic = time.monotonic  # tests move it instead of waiting


class RenderLimit(Exception):
    """A document went beyond one of the limits; ``str()`` says which, for the user."""


@dataclass
class Budget:
    deadline: float
    chars: int = 0
    steps: int = 0
    pages: int = 0
    spent: list[str] = field(default_factory=list)  # the limit passed, for tests and logs

    def charge(self, *, chars: int = 0, steps: int = 1) -> None:
        self.chars += chars
        self.steps += steps
        if self.chars > MAX_HTML_CHARS:
            self._stop("html", _("The document's HTML would be longer than %(n)s characters.")
                       % {"n": f"{MAX_HTML_CHARS:,}"})  # fmt: skip
        if self.steps > MAX_STEPS:
            self._stop("steps", _("The template takes more than %(n)s steps to render "
                                  "(loops inside loops?).") % {"n": f"{MAX_STEPS:,}"})  # fmt: skip
        self.tick()

    def page(self, number: int) -> None:
        self.pages = max(self.pages, number)
        if self.pages > MAX_PAGES:
            self._stop("pages", _("The document would have more than %(n)s pages.")
                       % {"n": f"{MAX_PAGES:,}"})  # fmt: skip
        self.tick()

    def tick(self) -> None:
        if monotonic() > self.deadline:
            self._stop("time", _("The document takes longer than %(n)s seconds to make.")
                       % {"n": f"{RENDER_SECONDS:g}"})  # fmt: skip

    def _stop(self, what: str, message: str) -> None:
        self.spent.append(what)
        raise RenderLimit(message)


_current: ContextVar[Budget | None] = ContextVar("document_budget", default=None)


@contextmanager
def budget() -> Iterator[Budget]:
    """The budget of one render (the one already open, when nested)."""
    open_ = _current.get()
    if open_ is not None:
        yield open_
        return
    fresh = Budget(deadline=monotonic() + RENDER_SECONDS)
    token = _current.set(fresh)
    try:
        yield fresh
    finally:
        _current.reset(token)


def current() -> Budget | None:
    return _current.get()
