"""Products to and from spreadsheets (CSV or XLSX), through the accounts import's machinery:
the same reader (encodings, delimiters, workbooks, size limits), the same report (a dry run
per row, all-or-nothing unless ``partial``) and the same writers (formula-like text escaped).

Columns: ``sku`` (required; a row upserts on it), ``name`` (required for a new product),
``unit``, ``tax_rate`` (a percent, ``7.5``), ``is_active`` (yes/no, true/false, 1/0). Absent
columns are left alone; a blank cell keeps the current value (the default for a new product).
Managers and admins only, as for every change to the catalogue.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fieldcrm.access import require_role
from fieldcrm.accounts.exports import Export
from fieldcrm.accounts.imports import ImportReport, Problem, _file_problem, _limits
from fieldcrm.accounts.spreadsheets import (
    Table,
    TooLarge,
    csv_stream,
    read_table,
    unescape_cell,
    xlsx_bytes,
)
from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.orders.models import Product
from fieldcrm.orders.schemas import plain
from fieldcrm.orders.services import product_create, product_update
from fieldcrm.users.models import User

COLUMNS = ("sku", "name", "unit", "tax_rate", "is_active")
YES, NO = {"yes", "true", "1", "y"}, {"no", "false", "0", "n"}


def _value(column: str, text: str) -> Any:
    if column == "tax_rate":
        try:
            rate = Decimal(text.replace(",", ".").rstrip("%").strip())
        except InvalidOperation:
            raise DomainError(column, _("Not a number.")) from None
        if not rate.is_finite() or not 0 <= rate <= 100:
            raise DomainError(column, _("A percent between 0 and 100."))
        return rate
    if column == "is_active":
        if text.lower() not in YES | NO:
            raise DomainError(column, _("Write yes or no."))
        return text.lower() in YES
    return text


def _parse(header: list[str | None], raw: list[str], escaped: bool) -> dict[str, Any]:
    unescape = unescape_cell if escaped else str
    values: dict[str, Any] = {}
    for column, cell in zip(header, raw, strict=False):
        text = unescape(cell.strip())
        if column is not None and text != "":
            values[column] = _value(column, text)
    if not values.get("sku"):
        raise DomainError("sku", _("Every row needs its SKU."))
    return values


def _apply(actor: User, values: dict[str, Any], existing: Product | None) -> str:
    if existing is None:
        if not values.get("name"):
            raise DomainError("name", _("A new product needs its name."))
        product_create(actor=actor, data=values)
        return "create"
    changes = {k: v for k, v in values.items() if getattr(existing, k) != v}
    if not changes:
        return "unchanged"
    product_update(actor=actor, product_id=existing.pk, data=changes)
    return "update"


def product_import(
    *, actor: User, table: Table, dry_run: bool = False, partial: bool = False
) -> ImportReport:
    """Upsert products by SKU; all-or-nothing unless ``partial``; nothing saved on a dry run."""
    require_role(actor, User.Role.MANAGER)
    report = ImportReport(dry_run=dry_run, partial=partial, warnings=list(table.warnings))
    header = [h.strip().lower() if h.strip().lower() in COLUMNS else None for h in table.header]
    unknown = [h for h in table.header if h.strip() and h.strip().lower() not in COLUMNS]
    report.errors += [Problem(1, h.strip(), _("Unknown column.")) for h in unknown]
    if "sku" not in header:
        report.errors.append(Problem(1, "sku", _("The required column sku is missing.")))
        report.status_code = 200 if dry_run else 422
        return report
    with transaction.atomic():
        by_sku = {p.sku: p for p in Product.all_objects.all()}
        seen: dict[str, int] = {}
        for number, raw in table.rows:
            if not any(c.strip() for c in raw):
                continue
            report.rows += 1
            try:
                values = _parse(header, raw, table.escaped)
                if values["sku"] in seen:
                    raise DomainError("sku", _("Duplicate SKU: also on row %(row)s.") % {
                        "row": seen[values["sku"]]})  # fmt: skip
                seen[values["sku"]] = number
                with transaction.atomic():
                    outcome = _apply(actor, values, by_sku.get(values["sku"]))
            except DomainError as exc:
                report.errors.append(Problem(number, exc.field, exc.message))
            except ValidationError as exc:
                report.errors += [Problem(number, f, m) for f, m in validation_error_fields(exc)]
            else:
                report.counts[outcome] += 1
        report.counts["invalid"] = len({p.row for p in report.errors if p.row not in (None, 1)})
        if dry_run or (report.errors and not partial):
            transaction.set_rollback(True)
        else:
            report.saved = True
    if report.errors and not dry_run and not partial:
        report.status_code = 422
    return report


def product_import_upload(
    *, actor: User, upload: Any, dry_run: bool = False, partial: bool = False
) -> ImportReport:
    """An uploaded CSV or XLSX (Django's UploadedFile); file problems come back as a report."""
    require_role(actor, User.Role.MANAGER)
    limits = _limits()
    if upload.size is not None and upload.size > limits.max_bytes:
        message = _("The file is larger than %(mb)s MB.") % {"mb": limits.max_bytes // 2**20}
        return _file_problem(message, 413, dry_run, partial)
    try:
        table = read_table(
            upload.read(), upload.name or "", limits=limits, is_column=COLUMNS.__contains__
        )
    except TooLarge as exc:
        return _file_problem(str(exc), 413, dry_run, partial)
    except DomainError as exc:
        return _file_problem(exc.message, 422, dry_run, partial)
    return product_import(actor=actor, table=table, dry_run=dry_run, partial=partial)


def product_export(*, actor: User, fmt: str) -> Export:
    """Every product in the importer's columns (a round trip changes nothing)."""
    require_role(actor, User.Role.MANAGER)
    rows = (
        [p.sku, p.name, p.unit, plain(p.tax_rate), p.is_active]
        for p in Product.objects.order_by("sku").iterator()
    )
    if fmt == "xlsx":
        return Export(xlsx_bytes("products", COLUMNS, rows), XLSX, "products.xlsx")
    return Export(csv_stream(COLUMNS, rows), "text/csv; charset=utf-8", "products.csv")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
