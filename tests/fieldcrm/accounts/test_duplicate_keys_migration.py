"""accounts.0007's backfill writes the keys the service computes (``matching``), row for row.

The backfill is batched (one UPDATE per few thousand accounts) rather than one ORM update per
account; this checks that the batching changed nothing: tricky e-mails and phones are stored
raw (no validation, as an old release could have held them), their keys are emptied, the
migration's own function runs on the database, and every key equals ``matching``'s."""

import importlib
from types import SimpleNamespace

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from fieldcrm.accounts import matching
from fieldcrm.accounts.models import Account
from tests.factories import make_account

migration = importlib.import_module("fieldcrm.accounts.migrations.0007_duplicate_keys")

TRICKY = [
    ("", ""),
    ("  Anna.Đặng@Example.COM ", "+84 (0)90 123 45 67"),
    ("STRASSE@ß.de", "040-123 4567"),
    ("\tmixed@Case.Org\n", "+358 40 123 4567"),
    ("only@email.test", ""),
    ("", "12 34 56"),  # six digits: too short for a key
    ("", "1234567"),  # seven: the shortest that has one
    ("", "۰۹۱۲ ۳۴۵ ۶۷۸۹"),  # Persian digits are digits to the service
    ("", "ext. only"),
    ("   ", "   "),  # blank after trimming: no keys
    ("x@y.z", "+1 (555) 010-9999 ext 12"),
]


def _state_apps():
    """The app registry as of this migration (what ``migrate`` hands its RunPython)."""
    return MigrationLoader(connection).project_state(("accounts", "0007_duplicate_keys")).apps


def test_the_backfill_writes_the_services_keys_and_no_new_version(world, monkeypatch):
    accounts = []
    for i, (email, phone) in enumerate(TRICKY * 3):  # more rows than one batch of 4
        account = make_account(f"Shop {i}")
        Account.all_objects.filter(pk=account.pk).update(email=email, phone=phone)
        accounts.append(account.pk)
    Account.all_objects.update(email_key="", phone_key="")
    before = dict(Account.all_objects.values_list("pk", "change_seq"))
    monkeypatch.setattr(migration, "BATCH", 4)  # several batches, a last short one

    # What fill_keys uses of its schema editor (SQLite's own cannot open inside the test's
    # transaction): the connection, and its quoting.
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    migration.fill_keys(_state_apps(), editor)

    rows = Account.all_objects.filter(pk__in=accounts).values_list(
        "email", "phone", "email_key", "phone_key"
    )
    assert len(rows) == len(TRICKY) * 3
    for email, phone, email_key, phone_key in rows:
        assert (email_key, phone_key) == (matching.email_key(email), matching.phone_key(phone))
    # The keys are derived: the backfill gives no account a new change number.
    assert dict(Account.all_objects.values_list("pk", "change_seq")) == before
    keyed = {k for _, _, k, _ in rows} | {k for *_, k in rows}
    assert {"anna.đặng@example.com", "strasse@ss.de", "901234567", "۱۲۳۴۵۶۷۸۹"} <= keyed
