"""Phone-editable rows: client UUIDs, versions that grow, soft deletion."""

import uuid

from fieldcrm.accounts.models import Account, Activity
from fieldcrm.accounts.services import account_delete, account_update
from fieldcrm.tasks.models import Task
from tests.factories import make_account


def test_a_client_generated_uuid_is_kept_as_the_id(world):
    client_id = uuid.uuid4()
    account = make_account(id=client_id)
    assert Account.objects.get(pk=client_id) == account


def test_every_save_bumps_the_version(world):
    account = make_account()
    assert account.version == 1
    account_update(account=account, fields={"phone": "+376 800 000"})
    account_update(account=account, fields={"phone": "+376 800 001"})
    assert Account.objects.get(pk=account.pk).version == 3


def test_update_fields_saves_still_bump_version_and_timestamp(world):
    task = Task.objects.create(title="Call", assignee=world.rep1)
    before = task.updated_at
    task.title = "Call back"
    task.save(update_fields=["title"])
    task.refresh_from_db()
    assert (task.version, task.updated_at > before) == (2, True)


def test_soft_deleted_rows_are_hidden_but_kept_as_tombstones(world):
    account = make_account()
    account_delete(account=account)
    assert not Account.objects.filter(pk=account.pk).exists()
    tombstone = Account.all_objects.get(pk=account.pk)
    assert tombstone.is_deleted and tombstone.version == 2


def test_related_rows_of_a_soft_deleted_account_stay(world):
    account = make_account()
    activity = Activity.objects.create(
        account=account, kind="note", occurred_at=account.created_at, subject="hello"
    )
    account_delete(account=account)
    assert Activity.objects.filter(pk=activity.pk).exists()
