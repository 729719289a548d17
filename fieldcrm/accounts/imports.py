"""The one import core for accounts: the API, the ``import_accounts`` command and the tests.

A file (CSV or XLSX) becomes a ``Table`` (``spreadsheets.read_table``: encodings, delimiters,
workbooks, within this module's limits); every row goes through the same services as the
API (``account_create`` / ``account_update``), each inside its own savepoint, so the model's
rules (lifecycle, coordinates, custom fields, territory assignment) judge every row and a
refused row leaves no trace. A dry run, or a real run with errors and without ``partial``,
rolls the whole transaction back: nothing is half-saved.

Decisions:
- A CSV's delimiter is the one under which its header names the most known columns
  (``COLUMNS`` and ``cf:<key>``).
- Only managers (their region) and admins import; reps and planners get 403.
- Rows match an existing account by ``id`` (as exported), else by ``external_id`` (upsert),
  else create.
- A row with an address and no coordinates is geocoded (``geocoding.address_locate``, the
  embedded index by default) before the transaction opens, each distinct address once: the
  location, then its territory, follow, with the match quality (``geocoded`` counts them;
  a town-only or failed match is flagged for review). An account that keeps its address and
  has a location keeps it. A blank cell clears an optional field; a blank ``status``, ``tier`` or
  ``priority`` keeps the current value (the default for a new account). Absent columns are
  left alone.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fieldcrm.access import require_role, scoped
from fieldcrm.accounts.duplicate_index import DuplicateIndex
from fieldcrm.accounts.models import Account, CustomFieldDefinition, DuplicateReason, Tag
from fieldcrm.accounts.services import account_create, account_update
from fieldcrm.accounts.spreadsheets import Limits, Table, TooLarge, read_table, unescape_cell
from fieldcrm.core.errors import DomainError, validation_error_fields
from fieldcrm.geocoding.models import GeocodeQuality
from fieldcrm.geocoding.selectors import Match, addresses_locate
from fieldcrm.users.models import User

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # an XLSX is a zip: no zip bombs
# The work one upload may cost: 50,000 rows of 40 cells, a long note per cell, 20 s of reading.
MAX_CELLS = 2_000_000
MAX_CELL_CHARS = 10_000
MAX_READ_S = 20.0

COLUMNS = (
    "id", "external_id", "name", "status", "address", "lat", "lng", "phone", "email",
    "website", "tier", "priority", "visit_frequency_days", "tags", "owner", "source",
)  # fmt: skip
CF_PREFIX = "cf:"
TAG_SEPARATOR = ";"
_TEXT_FIELDS = ("address", "phone", "email", "website", "source")


@dataclass
class Problem:
    row: int | None  # as in the file, header = 1; None for the file as a whole
    field: str
    problem: str


@dataclass
class ImportReport:
    dry_run: bool
    partial: bool
    saved: bool = False
    rows: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: {"create": 0, "update": 0, "unchanged": 0, "invalid": 0}
    )
    errors: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Rows located from their address, per match quality (GeocodeQuality values).
    geocoded: dict[str, int] = field(default_factory=dict)
    status_code: int = 200

    @property
    def detail(self) -> list[dict[str, Any]] | None:
        """The errors in the API's one error shape, when the answer is an error."""
        if self.status_code == 200:
            return None
        return [
            {
                "loc": ["body", "file", *([] if p.row is None else [p.row]), p.field],
                "msg": p.problem,
            }
            if p.field != "file"
            else {"loc": ["body", "file"], "msg": p.problem}
            for p in self.errors
        ]


def _known(name: str) -> bool:
    return name in COLUMNS or name.startswith(CF_PREFIX)


def _limits() -> Limits:
    # Read at each import, so a test (or a setting one day) can lower them.
    return Limits(
        MAX_BYTES, MAX_ROWS, MAX_COLUMNS, MAX_UNZIPPED_BYTES, MAX_CELLS, MAX_CELL_CHARS, MAX_READ_S
    )


# --- Turning rows into field values ------------------------------------------------------


@dataclass
class _Context:
    actor: User
    definitions: dict[str, CustomFieldDefinition]  # lower-case key -> definition
    columns: list[str | None]  # normalised column per cell position; None = ignored
    # Filled by _prefetch: a whole file costs a few queries up front, not several per row.
    by_id: dict[uuid.UUID, Account] = field(default_factory=dict)
    by_external_id: dict[str, Account] = field(default_factory=dict)
    writable: set[uuid.UUID] = field(default_factory=set)
    users: dict[str, User] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    read_scope: Any = None
    duplicates: DuplicateIndex | None = None  # the file's duplicate candidates, read once
    geocoded: dict[str, Match] = field(default_factory=dict)  # address -> the geocoder's match
    located: str = ""  # the match quality the last row applied got ("" when not geocoded)
    escaped: bool = True  # the file's cells were escaped by our CSV export (XLSX: never)


def _number(text: str, column: str, *, whole: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (whole and not value.is_integer()):
        what = _("a whole number") if whole else _("a number")
        raise DomainError(
            column, _("Expected %(what)s, got %(value)r.") % {"what": what, "value": text}
        )
    return int(value) if whole else value


def _custom_value(definition: CustomFieldDefinition, text: str) -> Any:
    kind = CustomFieldDefinition.Kind
    column = CF_PREFIX + definition.key
    if definition.kind == kind.NUMBER:
        number = _number(text, column)
        return int(number) if number.is_integer() and "." not in text else number
    if definition.kind == kind.BOOLEAN:
        lowered = text.lower()
        if lowered not in {"true", "false", "yes", "no", "1", "0"}:
            raise DomainError(column, _("Expected true or false, got %(v)r.") % {"v": text})
        return lowered in {"true", "yes", "1"}
    problem = definition.problem_with(text)
    if problem:
        raise DomainError(column, problem)
    return text


def _choice(text: str, choices: Iterable[str], column: str) -> str:
    allowed = list(choices)
    for choice in allowed:
        if choice.lower() == text.lower():
            return choice
    raise DomainError(
        column,
        _("Unknown value %(v)r; use one of: %(choices)s.")
        % {"v": text, "choices": ", ".join(allowed)},
    )


def _parse_cell(column: str, text: str, ctx: _Context, values: dict[str, Any]) -> None:
    """Put one cell's value into ``values``; raises DomainError naming the column."""
    if column.startswith(CF_PREFIX):
        definition = ctx.definitions[column[len(CF_PREFIX) :]]
        value = None if text == "" else _custom_value(definition, text)
        values.setdefault("cf", {})[definition.key] = value
    elif column in ("name", "status", "tier", "priority"):
        if text == "":
            return  # keep the current value (or the default for a new account)
        if column == "status":
            values["status"] = _choice(text, Account.Status.values, column)
        elif column == "tier":
            values["tier"] = _choice(text, Account.Tier.values, column)
        elif column == "priority":
            values["priority"] = _number(text, column, whole=True)
        else:
            values["name"] = text
    elif column in _TEXT_FIELDS:
        values[column] = text
    elif column == "visit_frequency_days":
        values[column] = None if text == "" else _number(text, column, whole=True)
    elif column == "tags":
        values["tags"] = sorted({t.strip() for t in text.split(TAG_SEPARATOR) if t.strip()})
    elif column in ("owner", "external_id"):
        values[column] = text or None
    elif column == "id":
        try:
            values["id"] = uuid.UUID(text) if text else None
        except ValueError:
            raise DomainError("id", _("Not an account id: %(v)r.") % {"v": text}) from None


def _parse_row(cells: dict[str, str], ctx: _Context) -> tuple[dict[str, Any], list[DomainError]]:
    """Cells -> ({model field or pseudo field: value}, the problems of every bad cell)."""
    values: dict[str, Any] = {}
    problems: list[DomainError] = []
    for column, text in cells.items():
        if column in ("lat", "lng"):
            continue
        try:
            _parse_cell(column, text, ctx, values)
        except DomainError as exc:
            problems.append(exc)
    if "lat" in cells or "lng" in cells:
        try:
            values["location"] = _location(cells.get("lat", ""), cells.get("lng", ""))
        except DomainError as exc:
            problems.append(exc)
    return values, problems


def _location(lat_text: str, lng_text: str) -> Point | None:
    if lat_text == lng_text == "":
        return None
    for column, text in (("lat", lat_text), ("lng", lng_text)):
        if text == "":
            raise DomainError(column, _("Give both lat and lng, or neither."))
    lat, lng = _number(lat_text, "lat"), _number(lng_text, "lng")
    if not -90 <= lat <= 90:
        raise DomainError("lat", _("Latitude %(lat)s is outside -90..90.") % {"lat": lat})
    if not -180 <= lng <= 180:
        raise DomainError("lng", _("Longitude %(lng)s is outside -180..180.") % {"lng": lng})
    return Point(lng, lat, srid=4326)


# --- Applying rows ----------------------------------------------------------------------


def _chunks(values: Iterable[Any], size: int = 500) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _prefetch(ctx: _Context, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Load the accounts, owners and tags the rows refer to, and which accounts are writable."""
    ids = {v["id"] for _, v in rows if v.get("id") is not None}
    external_ids = {v["external_id"] for _, v in rows if v.get("external_id") is not None}
    base = Account.all_objects.select_related("owner").prefetch_related("tags")
    for chunk in _chunks(ids):
        ctx.by_id.update((a.pk, a) for a in base.filter(pk__in=chunk))
    for chunk in _chunks(external_ids):
        ctx.by_external_id.update(
            (a.external_id or "", a) for a in base.filter(external_id__in=chunk)
        )
    write_scope = scoped(Account, ctx.actor, write=True)
    for chunk in _chunks({a.pk for a in [*ctx.by_id.values(), *ctx.by_external_id.values()]}):
        ctx.writable.update(write_scope.filter(pk__in=chunk).values_list("pk", flat=True))
    usernames = {v["owner"] for _, v in rows if v.get("owner") is not None}
    for chunk in _chunks(usernames):
        ctx.users.update(
            (u.username, u) for u in scoped(User, ctx.actor).filter(username__in=chunk)
        )
    names = {t for _, v in rows for t in v.get("tags") or ()}
    for chunk in _chunks(names):
        ctx.tags.update((t.name, t) for t in Tag.objects.filter(name__in=chunk))


def _match(values: dict[str, Any], ctx: _Context) -> Account | None:
    """The existing account a row updates: by id, else by external id; None = a new one."""
    if values.get("id") is not None:
        account = ctx.by_id.get(values["id"])
        if account is None or account.is_deleted or account.pk not in ctx.writable:
            raise DomainError(
                "id",
                _("No account with this id in your scope; leave id empty to create an account."),
            )
        return account
    if values.get("external_id") is None:
        return None
    account = ctx.by_external_id.get(values["external_id"])
    if account is not None and (account.is_deleted or account.pk not in ctx.writable):
        raise DomainError(
            "external_id", _("This external id belongs to an account you cannot change.")
        )
    return account


def _owner(username: str | None, ctx: _Context, account: Account | None) -> User | None:
    if username is None:
        return None
    if account is not None and account.owner is not None and account.owner.username == username:
        return account.owner  # unchanged, even if that owner is outside the importer's scope
    owner = ctx.users.get(username)
    if owner is None:
        raise DomainError("owner", _("No user %(u)r in your scope.") % {"u": username})
    return owner


def _set_tags(account: Account, names: list[str], ctx: _Context) -> None:
    # The names are already trimmed and unique (see _parse_cell), as account_set_tags makes them.
    for name in names:
        if name not in ctx.tags:
            ctx.tags[name] = Tag.objects.get_or_create(name=name)[0]
    account.tags.set([ctx.tags[name] for name in names])


def _same(current: Any, new: Any) -> bool:
    if isinstance(current, Point) and isinstance(new, Point):
        return abs(current.x - new.x) < 1e-9 and abs(current.y - new.y) < 1e-9
    return current == new


def _geocoded(values: dict[str, Any], account: Account | None, ctx: _Context) -> dict[str, Any]:
    """The location and match quality a row gets from its address, if it gets one."""
    address = values.get("address") or ""
    match = ctx.geocoded.get(address)
    if match is None or values.get("location") is not None:
        return {}
    had = account.location if account is not None else None
    if had is not None and account is not None and account.address == address:
        if "location" not in values:
            return {}  # the same address, already placed (by a person, a file, the geocoder)
    if match.found:
        point = Point(match.lng, match.lat, srid=4326)
        return {"location": point, "geocode_quality": match.quality}
    if had is None or "location" in values:
        return {"location": None, "geocode_quality": GeocodeQuality.NONE}
    return {}


def _apply_row(
    values: dict[str, Any], ctx: _Context, filename: str
) -> tuple[str, list[tuple[Account, list[str]]], Account | None]:
    """Create or update one account from a parsed row; returns what happened, for a new
    account the existing ones it possibly duplicates (matching.py's rule, in the importer's
    scope: earlier rows of the same file included), and the account written (None if none)."""
    hits: list[tuple[Account, list[str]]] = []
    account = _match(values, ctx)
    fields = {k: v for k, v in values.items() if k not in {"id", "tags", "cf", "owner"}}
    located = _geocoded(values, account, ctx)
    ctx.located = str(located.get("geocode_quality", ""))
    fields.update(located)
    if "owner" in values:
        fields["owner"] = _owner(values["owner"], ctx, account)
    if "cf" in values:
        merged = dict(account.custom_fields) if account is not None else {}
        merged.update(values["cf"])
        fields["custom_fields"] = {k: v for k, v in merged.items() if v is not None}
    tags = values.get("tags")
    if account is None:
        if not fields.get("name"):
            raise DomainError("name", _("A new account needs a name."))
        if "source" not in fields:
            fields["source"] = (_("import: %(file)s") % {"file": filename})[:120]
        where = fields.get("location")
        assert ctx.duplicates is not None
        hits = ctx.duplicates.duplicates(
            name=fields["name"], email=fields.get("email") or "",
            phone=fields.get("phone") or "", location=(where.x, where.y) if where else None,
            limit=3,
        )  # fmt: skip
        account, outcome = account_create(fields=fields, actor=ctx.actor), "create"
    else:
        changes = {k: v for k, v in fields.items() if not _same(getattr(account, k), v)}
        if tags is not None and tags == sorted(t.name for t in account.tags.all()):
            tags = None
        if not changes and tags is None:
            return "unchanged", hits, None
        account, outcome = (
            account_update(account=account, fields=changes, actor=ctx.actor),
            "update",
        )
    if tags is not None:
        _set_tags(account, tags, ctx)
    if not ctx.read_scope.filter(pk=account.pk).exists():
        raise DomainError(
            "lat",
            _(
                "The account would fall outside your scope: give a location in your region "
                "or an owner in your scope."
            ),
        )
    return outcome, hits, account


_FIELD_TO_COLUMN = {"location": "lat", "custom_fields": "cf", "__all__": "row"}


def _header(table: Table, report: ImportReport, actor: User) -> _Context | None:
    definitions = {d.key.lower(): d for d in CustomFieldDefinition.objects.all()}
    columns: list[str | None] = []
    seen: set[str] = set()
    for raw in table.header[:MAX_COLUMNS]:
        name = raw.strip().lower()
        if name.startswith(CF_PREFIX):
            name = CF_PREFIX + name[len(CF_PREFIX) :].strip()
        if name == "":
            columns.append(None)
            continue
        known = name in COLUMNS or (
            name.startswith(CF_PREFIX) and name[len(CF_PREFIX) :] in definitions
        )
        if not known:
            report.errors.append(Problem(1, raw.strip(), _("Unknown column.")))
        elif name in seen:
            report.errors.append(Problem(1, raw.strip(), _("This column appears twice.")))
        columns.append(name if known and name not in seen else None)
        seen.add(name)
    if "name" not in seen:
        report.errors.append(Problem(1, "name", _("The required column name is missing.")))
        return None
    return _Context(actor=actor, definitions=definitions, columns=columns, escaped=table.escaped)


def _cells(ctx: _Context, number: int, raw: list[str]) -> dict[str, str]:
    if len(raw) > len(ctx.columns) and any(c.strip() for c in raw[len(ctx.columns) :]):
        raise DomainError(
            "row",
            _("Row %(row)s has more cells than the header has columns.") % {"row": number},
        )
    unescape = unescape_cell if ctx.escaped else str
    return {
        column: unescape(text.strip())
        for column, text in zip(ctx.columns, raw, strict=False)
        if column is not None
    }


def _duplicates(rows: list[tuple[int, dict[str, Any]]], key: str) -> dict[int, str]:
    first: dict[Any, int] = {}
    clashes: dict[int, str] = {}
    for number, values in rows:
        value = values.get(key)
        if value is None:
            continue
        if value in first:
            message = _("Duplicate %(key)s %(v)s: also on row %(other)s.")
            clashes[number] = message % {"key": key, "v": value, "other": first[value]}
            clashes.setdefault(first[value], message % {"key": key, "v": value, "other": number})
        else:
            first[value] = number
    return clashes


def account_import(
    *, actor: User, table: Table, dry_run: bool = False, partial: bool = False, filename: str = ""
) -> ImportReport:
    """Import a table of accounts; all-or-nothing unless ``partial``; nothing saved on a dry run."""
    require_role(actor, User.Role.MANAGER)
    report = ImportReport(dry_run=dry_run, partial=partial, warnings=list(table.warnings))
    ctx = _header(table, report, actor)
    if ctx is None:
        report.status_code = 200 if dry_run else 422
        return report
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, raw in table.rows:
        if not any(c.strip() for c in raw):
            continue
        report.rows += 1
        try:
            values, problems = _parse_row(_cells(ctx, number, raw), ctx)
        except DomainError as exc:
            problems = [exc]
        report.errors.extend(Problem(number, p.field, p.message) for p in problems)
        if not problems:
            parsed.append((number, values))
    clashes = {**_duplicates(parsed, "external_id"), **_duplicates(parsed, "id")}
    # Before the transaction: no lock is held while a geocoder (maybe an external one) answers.
    ctx.geocoded = addresses_locate(addresses=[
        v["address"] for _, v in parsed if v.get("address") and v.get("location") is None
    ])  # fmt: skip
    with transaction.atomic():
        _prefetch(ctx, parsed)
        ctx.read_scope = scoped(Account, actor)
        ctx.duplicates = _duplicate_index(parsed, ctx)
        for number, values in parsed:
            if number in clashes:
                field_name = "id" if values.get("id") is not None else "external_id"
                report.errors.append(Problem(number, field_name, clashes[number]))
                continue
            _import_row(number, values, ctx, report, filename)
        bad_rows = {p.row for p in report.errors if p.row not in (None, 1)}
        report.counts["invalid"] = len(bad_rows)
        if dry_run or (report.errors and not partial):
            transaction.set_rollback(True)
        else:
            report.saved = True
    report.errors.sort(key=lambda p: (p.row or 0, p.field))
    if report.errors and not dry_run and not partial:
        report.status_code = 422
    return report


def _duplicate_index(rows: list[tuple[int, dict[str, Any]]], ctx: _Context) -> DuplicateIndex:
    """The candidates every row's duplicate check may need, read once for the file."""
    locations = [
        (v["location"].x, v["location"].y) for _, v in rows if v.get("location") is not None
    ]
    locations += [(m.lng, m.lat) for m in ctx.geocoded.values() if m.found]
    return DuplicateIndex(
        actor=ctx.actor,
        emails=[v["email"] for _, v in rows if v.get("email")],
        phones=[v["phone"] for _, v in rows if v.get("phone")],
        locations=locations,
    )


def _import_row(
    number: int, values: dict[str, Any], ctx: _Context, report: ImportReport, filename: str
) -> None:
    try:
        with transaction.atomic():
            outcome, hits, written = _apply_row(values, ctx, filename)
    except DomainError as exc:
        report.errors.append(Problem(number, exc.field, exc.message))
    except ValidationError as exc:
        for name, message in validation_error_fields(exc):
            report.errors.append(Problem(number, _FIELD_TO_COLUMN.get(name, name), message))
    except IntegrityError:
        report.errors.append(Problem(number, "external_id", _("Conflicts with another account.")))
    else:
        if written is not None and ctx.duplicates is not None:
            ctx.duplicates.saved(written)  # only once its savepoint is kept
        report.counts[outcome] += 1
        if ctx.located and outcome != "unchanged":
            report.geocoded[ctx.located] = report.geocoded.get(ctx.located, 0) + 1
        # A warning, not a refusal: the importer decides (and merges on the account's page).
        for other, why in hits:
            report.warnings.append(
                _("Row %(row)s may be the same as “%(name)s” (%(why)s).") % {
                    "row": number, "name": other.name, "why": ", ".join(
                        str(DuplicateReason(w).label) for w in why)}
            )  # fmt: skip


def account_import_file(
    *, actor: User, data: bytes, filename: str, dry_run: bool = False, partial: bool = False
) -> ImportReport:
    """Read and import a file; file-level problems come back as a report, not an exception."""
    require_role(actor, User.Role.MANAGER)
    try:
        table = read_table(data, filename, limits=_limits(), is_column=_known)
    except TooLarge as exc:
        return _file_problem(str(exc), 413, dry_run, partial)
    except DomainError as exc:
        return _file_problem(exc.message, 422, dry_run, partial)
    return account_import(
        actor=actor, table=table, dry_run=dry_run, partial=partial, filename=filename
    )


def _file_problem(message: str, status: int, dry_run: bool, partial: bool) -> ImportReport:
    report = ImportReport(dry_run=dry_run, partial=partial, status_code=status)
    report.errors.append(Problem(None, "file", message))
    return report


def account_import_upload(
    *, actor: User, upload: Any, dry_run: bool = False, partial: bool = False
) -> ImportReport:
    """An uploaded file (Django's UploadedFile): its size is checked before it is read."""
    require_role(actor, User.Role.MANAGER)
    if upload.size is not None and upload.size > MAX_BYTES:
        message = _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // 2**20}
        return _file_problem(message, 413, dry_run, partial)
    return account_import_file(
        actor=actor,
        data=upload.read(),
        filename=upload.name or "",
        dry_run=dry_run,
        partial=partial,
    )
