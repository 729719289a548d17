"""Accessible names for inputs with no <label> of their own (fieldcrm/core/forms.py)."""

from __future__ import annotations

from django import forms

from fieldcrm.core.forms import LabelledRowsFormSet, label_widgets


class Row(forms.Form):
    product = forms.ChoiceField(label="Product", choices=[("", "-")], required=False)
    quantity = forms.DecimalField(label="Quantity", required=False)
    when = forms.SplitDateTimeField(label="Visited", required=False)


def test_a_formset_names_each_input_by_its_column_and_row():
    rows = forms.formset_factory(Row, formset=LabelledRowsFormSet, extra=2)(prefix="lines")
    html = str(rows.forms[1]["quantity"])
    assert 'aria-label="Quantity, line 2"' in html
    assert 'aria-label="Product, line 1"' in str(rows.forms[0]["product"])
    # An empty row's template (added by a script) has no number.
    assert 'aria-label="Quantity"' in str(rows.empty_form["quantity"])


def test_a_split_date_and_time_names_both_parts_and_a_set_name_is_kept():
    form = Row()
    form.fields["quantity"].widget.attrs["aria-label"] = "How many"
    label_widgets(form, multi_only=True)
    when = str(form["when"])
    assert 'aria-label="Visited: date"' in when and 'aria-label="Visited: time"' in when
    assert 'aria-label="How many"' in str(form["quantity"])
    assert "aria-label" not in str(form["product"])  # multi_only: a <label> names it
