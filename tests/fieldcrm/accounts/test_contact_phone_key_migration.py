"""accounts.0011's backfill gives existing contacts the service's phone key (``matching``)
and no new version, so a caller's number finds them (integrations) and no phone re-pulls."""

import importlib

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from fieldcrm.accounts import matching
from fieldcrm.accounts.models import Contact
from tests.factories import make_account

migration = importlib.import_module(
    "fieldcrm.accounts.migrations.0011_contact_phone_key_message_kind"
)

PHONES = ["", "+84 (0)90 123 45 67", "040-123 4567", "12 34 56", "۰۹۱۲ ۳۴۵ ۶۷۸۹", "ext. only"]


def test_the_backfill_writes_the_services_phone_keys_and_no_new_version(world):
    account = make_account("Shop")
    for i, phone in enumerate(PHONES):
        Contact.objects.create(account=account, name=f"C{i}", phone=phone)
    Contact.all_objects.update(phone_key="")
    before = dict(Contact.all_objects.values_list("pk", "version"))
    state = MigrationLoader(connection).project_state(
        ("accounts", "0011_contact_phone_key_message_kind")
    )
    migration.fill_contact_keys(state.apps, None)
    keys = dict(Contact.all_objects.values_list("phone", "phone_key"))
    assert keys == {phone: matching.phone_key(phone) for phone in PHONES}
    assert keys["040-123 4567"] == "401234567"
    assert dict(Contact.all_objects.values_list("pk", "version")) == before
