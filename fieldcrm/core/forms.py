"""Accessible names for form controls that have no ``<label>`` of their own.

A form laid out as a table (a formset's rows under column headers, the admin's tabular
inlines) or a widget of several inputs (the admin's date and time) shows its labels where no
``<label for>`` reaches each input: ``label_widgets`` gives each such input an ``aria-label``
from its field's label (numbered by row, and naming the part of a split field).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _

# The parts of a split date and time (Django's SplitDateTimeWidget and the admin's).
_SPLIT_PARTS = (lambda label: _("%(label)s: date") % {"label": label},
                lambda label: _("%(label)s: time") % {"label": label})  # fmt: skip


def _name(label: Any, number: int | None) -> str:
    text = str(label or "")
    if number is None:
        return text
    return _("%(label)s, line %(number)s") % {"label": text, "number": number}


def label_widgets(
    form: forms.BaseForm, number: int | None = None, *, multi_only: bool = False
) -> None:
    """An ``aria-label`` on every widget of ``form`` that has none, from its field's label;
    ``number``: the form's row in a formset. ``multi_only``: only the inputs of widgets made
    of several (each one's ``<label>`` names only the first)."""
    for field in form.fields.values():
        # The admin wraps a relation's widget (RelatedFieldWidgetWrapper): name the inner one.
        widget = cast(forms.Widget, getattr(field.widget, "widget", field.widget))
        name = _name(field.label, number)
        if isinstance(widget, forms.SplitDateTimeWidget):
            for part, split in zip(_SPLIT_PARTS, widget.widgets, strict=True):
                split.attrs.setdefault("aria-label", part(name))
        elif isinstance(widget, forms.MultiWidget):
            for sub in widget.widgets:
                sub.attrs.setdefault("aria-label", name)
        elif not multi_only and not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("aria-label", name)


class LabelledRowsFormSet(forms.BaseFormSet):
    """A formset shown as a table: each row's inputs named by their column and row."""

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        label_widgets(form, None if index is None else index + 1)
