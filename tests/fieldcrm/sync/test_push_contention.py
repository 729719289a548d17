"""Issue 22: a push takes its change number late (core.models.numbered_at_commit), so a web
writer can take the number first and then wait for a row the push has just inserted (the same
key), while the push waits for the number: a deadlock. PostgreSQL breaks it by failing one of
the two, and neither answers a 500 or leaves half a change:

- the push, failed, runs itself again holding the number from the start (sync_push) and is
  answered for its item as a create of a record that exists;
- the web request, failed, is answered 409 "send it again" with Retry-After
  (core.contention), and sent again it gets the answer for a record that exists.

Which one PostgreSQL fails is the one whose ``deadlock_timeout`` runs out first: each test
sets the other side's long, so the interleaving is forced, not left to timing. PostgreSQL
only: SQLite takes its write lock at BEGIN, so there two writers never interleave.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.db import OperationalError, connection, transaction

from fieldcrm.accounts.models import Account
from fieldcrm.core import models as core_models
from fieldcrm.core.contention import is_contention
from fieldcrm.core.models import one_change_number
from fieldcrm.sync.models import AppliedOp
from tests.fieldcrm.sync.test_sync import op

pytestmark = pytest.mark.django_db(transaction=True)
SHOP = {"name": "Kiosk on the corner", "location": {"lat": 42.05, "lng": 1.05}}


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("two writers interleave only on PostgreSQL (SQLite locks at BEGIN)")


class PushHeldBeforeItsNumber:
    """Pause a push running in another thread just before it takes its change number (its new
    rows are inserted then, with the placeholder), until ``release``; its transaction's
    ``deadlock_timeout`` is set to ``timeout`` there."""

    def __init__(self, monkeypatch, timeout: str) -> None:
        self.paused, self.go_on = threading.Event(), threading.Event()
        self.thread: int | None = None
        real = core_models._counter_next

        def counter_next() -> int:
            if threading.get_ident() == self.thread and not self.go_on.is_set():
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL deadlock_timeout = '{timeout}'")
                self.paused.set()
                assert self.go_on.wait(60)
            return real()

        monkeypatch.setattr(core_models, "_counter_next", counter_next)

    def run(self, client, *mutations) -> tuple[threading.Thread, list]:
        answers: list = []

        def push() -> None:
            self.thread = threading.get_ident()
            try:
                body = {"device_id": "phone-1", "mutations": list(mutations)}
                answers.append(client.post("sync/push", body))
            finally:
                connection.close()

        thread = threading.Thread(target=push)
        thread.start()
        assert self.paused.wait(60), "the push never asked for its number"
        return thread, answers

    def meet(self, pusher: threading.Thread, web_write) -> None:
        """Run ``web_write`` in a thread of its own while the push is held; release the push
        once the web writer waits on its row, and wait for both to end."""

        def web() -> None:
            try:
                web_write()
            finally:
                connection.close()

        thread = threading.Thread(target=web)
        thread.start()
        wait_until_someone_waits_on_a_lock()
        self.go_on.set()
        thread.join(90)
        pusher.join(90)


def wait_until_someone_waits_on_a_lock() -> None:
    """Until another connection is blocked on a row lock (the web writer on the push's row)."""
    for _ in range(600):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("nobody waited on the push's row")


def test_the_web_request_that_loses_is_answered_409_and_nothing_of_it_is_saved(
    as_user, monkeypatch
):
    shop_id = uuid.uuid4()
    held = PushHeldBeforeItsNumber(monkeypatch, timeout="60s")  # the web side is failed
    pusher, pushed = held.run(as_user("rep1"), op("account", "create", shop_id, fields=SHOP))
    answers: list = []
    held.meet(pusher, lambda: answers.append(
        as_user("rep1").post("accounts", {"id": str(shop_id), **SHOP})
    ))  # fmt: skip

    (answer,) = answers
    assert answer.status_code == 409, answer.content
    assert answer["Retry-After"] == "1"
    assert "nothing of yours was saved" in answer.json()["detail"]
    (push_answer,) = pushed
    assert push_answer.status_code == 200
    assert [r["status"] for r in push_answer.json()["results"]] == ["applied"]
    assert Account.objects.filter(pk=shop_id).count() == 1
    assert AppliedOp.objects.count() == 1
    # Sent again, the web request meets the record the push made: a clear refusal, not a 500.
    again = as_user("rep1").post("accounts", {"id": str(shop_id), **SHOP})
    assert 400 <= again.status_code < 500, again.content


def test_the_push_that_loses_runs_again_and_is_answered_for_its_item(as_user, world, monkeypatch):
    shop_id = uuid.uuid4()
    held = PushHeldBeforeItsNumber(monkeypatch, timeout="20ms")  # the push is failed
    pusher, pushed = held.run(as_user("rep1"), op("account", "create", shop_id, fields=SHOP))
    errors: list[BaseException] = []

    def web_create() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL deadlock_timeout = '60s'")
                with one_change_number():
                    Account.objects.create(id=shop_id, name="Made in the office",
                                           territory=world.territory_a)  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    held.meet(pusher, web_create)

    assert errors == []  # the web writer won: PostgreSQL failed the push
    (push_answer,) = pushed
    assert push_answer.status_code == 200, push_answer.content
    (result,) = push_answer.json()["results"]
    # Run again with the number first, the push met the office's record at its id: answered
    # as any create of a record that exists in the rep's scope (sync_push's _create_clash),
    # with the server's copy, which the phone keeps in place of its own.
    assert result["status"] == "already_applied", result
    assert result["record"]["name"] == "Made in the office"
    assert Account.objects.get(pk=shop_id).name == "Made in the office"
    assert AppliedOp.objects.count() == 1


def test_only_a_transaction_lost_to_another_writer_counts_as_contention():
    class Cause(Exception):
        def __init__(self, sqlstate: str) -> None:
            self.sqlstate = sqlstate

    def raised(sqlstate: str) -> OperationalError:
        try:
            raise OperationalError("x") from Cause(sqlstate)
        except OperationalError as exc:
            return exc

    assert is_contention(raised("40P01")) and is_contention(raised("40001"))
    assert not is_contention(raised("08006"))  # the connection failed: not "send it again"
    assert is_contention(OperationalError("database is locked"))
    assert not is_contention(ValueError("database is locked"))
