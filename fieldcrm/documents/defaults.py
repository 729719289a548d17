"""The built-in templates (builtin/*.html), one per kind, with their ``[[label]]`` markers
replaced by the labels of the document's language, so a fresh installation prints quotes in en,
vi and fa at once; an admin's saved template of that kind and language replaces it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import override

from fieldcrm.documents.models import DocumentKind

BUILTIN = Path(__file__).resolve().parent / "builtin"
MARKER = re.compile(r"\[\[([a-z_]+)\]\]")


@cache
def _source(name: str) -> str:
    return (BUILTIN / f"{name}.html").read_text(encoding="utf-8")


def _labels(kind: str) -> dict[str, str]:
    if kind == DocumentKind.VISIT:
        return {
            "customer": _("Customer"), "rep": _("Rep"), "scheduled": _("Scheduled for"),
            "checked_in": _("Checked in"), "checked_out": _("Checked out"),
            "minutes_on_site": _("min on site"), "completed": _("Completed"),
            "outcome": _("Outcome"), "notes": _("Notes"),
        }  # fmt: skip
    return {
        "issued": _("Issued on"), "status": _("Status"), "customer": _("Customer"),
        "deal": _("Deal"), "product": _("Product"), "quantity": _("Quantity"),
        "unit": _("Unit"), "unit_price": _("Unit price"), "discount": _("Discount %"),
        "tax_rate": _("Tax %"), "net": _("Net"), "tax": _("Tax"), "total": _("Total"),
        "prepared_by": _("Prepared by"),
    }  # fmt: skip


def default_body(kind: str, language: str) -> str:
    """The built-in template of ``kind`` with its labels in ``language``."""
    with override(language):
        labels = _labels(kind)
    name = "visit_report" if kind == DocumentKind.VISIT else "order"
    return MARKER.sub(lambda m: escape(labels[m.group(1)]), _source(name))
