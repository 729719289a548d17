"""Issue 22: what a sync request costs in statements, the round trips PostgreSQL answers one by
one while a push holds the change counter (every writer waits for it). The counts are exact,
so a new savepoint, a second scope check or a re-read shows up here, not as a slower team.

Budgets, per request of a rep (bench/sync_load.py's mix): a logged visit, a pushed phone-number
edit, a pull after one change."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fieldcrm.search.models import SearchEntry
from tests.factories import make_account
from tests.fieldcrm.sync.test_push_batches import logged
from tests.fieldcrm.sync.test_sync import op, pull_all, push


def statements(client, call):
    with CaptureQueriesContext(connection) as queries:
        call(client)
    return [q["sql"] for q in queries.captured_queries]


def savepoints(sql):
    """Savepoint statements. A test runs in a transaction of its own, so the batch's block is
    a savepoint here too (BEGIN in production): one item's batch makes two, taken and released."""
    return [s for s in sql if re.match(r"\s*(SAVEPOINT|RELEASE SAVEPOINT)", s)]


@pytest.fixture
def shop(world):
    return make_account("Corner shop", status="customer", visit_frequency_days=14)


def test_a_logged_visit_is_one_savepoint_and_a_dozen_statements(as_user, shop):
    client = as_user("rep1")
    sql = statements(client, lambda c: push(c, logged(shop, next_step={"title": "Call back"})))
    # The batch's and the item's own (a refused item leaves nothing): none per service or per
    # table (there were five more, each a round trip).
    assert len(savepoints(sql)) == 4, savepoints(sql)
    # The session and its user (a phone's token: one read), the epoch outside the batch and in
    # it, the counter, the applied ops, the id taken (asked twice), the account, the visit,
    # activity, task and event, the account's last visit, the claim, the answer's cursor: 16,
    # and the four savepoint statements. There were 30, 14 of them savepoint statements.
    # Since the number is taken late (core.models.numbered_at_commit): the three new rows'
    # stamps (one statement on PostgreSQL), and there the lock on the user's own pushes.
    assert len(sql) <= 24, "\n".join(s[:120] for s in sql)
    # The counter is taken after the new rows are written, at the first write of a row that
    # exists (the account's last visit): every other writer waits only for what follows.
    counter = next(i for i, s in enumerate(sql) if "UPDATE core_changecounter" in s)
    visit = next(i for i, s in enumerate(sql) if s.startswith('INSERT INTO "visits_visit"'))
    account = next(i for i, s in enumerate(sql) if 'UPDATE "accounts_account"' in s)
    assert visit < counter < account
    end = max(i for i, s in enumerate(sql) if s.startswith("RELEASE SAVEPOINT"))  # the batch's
    held = sql[counter : end + 1]
    # The counter, the account, the item's savepoint released, the claim, the stamps (one
    # statement on PostgreSQL, one per table on SQLite), the commit: it held all 20.
    assert len(held) <= 8, "\n".join(s[:120] for s in held)


def test_a_pushed_edit_reads_the_account_once(as_user, shop):
    client = as_user("rep1")
    change = {"phone": {"old": shop.phone, "new": "+376 600 001"}}
    edit = op("account", "update", shop.pk, base_version=shop.version, changes=change)
    sql = statements(client, lambda c: push(c, edit))
    reads = [s for s in sql if s.lstrip().startswith('SELECT "accounts_account"."id"')]
    assert len(reads) == 1, reads  # read and write rule in one query, not re-read to update
    tags = [s for s in sql if "accounts_tag" in s]
    assert len(tags) == 1, tags  # read once for the comparison and the answer
    # The location did not move: no territory lookup.
    assert not [s for s in sql if "territories_territory" in s and "ntersect" in s]
    assert len(savepoints(sql)) == 4
    assert SearchEntry.objects.get(record_id=str(shop.pk)).text.endswith("376600001")


def test_an_edit_of_an_unsearched_field_leaves_the_index_alone(as_user, shop):
    client = as_user("rep1")
    change = {"website": {"old": shop.website, "new": "https://shop.example"}}
    edit = op("account", "update", shop.pk, base_version=shop.version, changes=change)
    sql = statements(client, lambda c: push(c, edit))
    assert not [s for s in sql if "search_searchentry" in s]


def test_a_pull_asks_only_the_tables_that_changed(as_user, shop):
    client = as_user("rep1")
    _view, cursor = pull_all(client)
    note = {"account_id": str(shop.pk), "kind": "note", "subject": "Hi"}
    push(client, op("activity", "create", fields=note))
    sql = statements(client, lambda c: c.get(f"sync/pull?cursor={cursor}"))
    tables = {t for s in sql for t in re.findall(r'FROM "(\w+)"', s)}
    assert "accounts_activity" in tables
    for quiet in ("accounts_contact", "visits_visit", "tasks_task", "notifications_notification"):
        # Named only inside the one state read (its newest change number), never paged.
        assert not [s for s in sql if s.lstrip().startswith(f'SELECT "{quiet}"')], quiet
    body = client.get(f"sync/pull?cursor={cursor}").json()
    assert [a["subject"] for a in body["changes"]["activities"]] == ["Hi"]
