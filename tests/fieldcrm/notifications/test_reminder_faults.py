"""Reminders with real processes: two web servers, two Celery workers and beat on Redis and
PostGIS, e-mail to a real SMTP server; one worker SIGKILLed mid-run (tests/harness/reminders.py).

200 tasks are made through both web servers' API, each with its reminder due at once. Checked:
every expected Message-ID (one per task) arrives; the copies, a Message-ID received twice, are
at most the number of kills, and each is reported here and is a row whose attempts say it was
sent again (the killed worker's claim, taken over after its lease); every row ends ``sent``.
``bench/reminders.py`` runs the same at 10,000 and prints the times.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.harness import reminders

BASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not BASE_URL.startswith("postgis"), reason="the production topology runs on PostGIS"
)


def test_a_killed_worker_loses_no_reminder_and_copies_at_most_one_per_kill():
    with tempfile.TemporaryDirectory(prefix="fieldcrm-remind-") as tmp:
        outcome = reminders.run(BASE_URL, Path(tmp), tasks=200, reps=2, via="api")
    summary = outcome.summary()
    print("reminders fault run:", summary)  # the copies, each named, in the test's output
    assert outcome.kills == 1
    assert len(outcome.expected) == 200 and outcome.missing == set()
    assert summary["copies"] <= outcome.kills
    # Each copy is a row that was claimed again after its worker died: the record says so.
    assert all(attempts >= 2 for attempts in outcome.copies.values()), outcome.copies
    assert summary["copies"] == len(outcome.copies)
    assert outcome.statuses == {"sent": 200}
