"""An upgrade keeps the data (issue 23): the previous release's schema and demo data, migrated
by the current code, on the suite's database backend.

"The previous release" is the migration state at commit 315d704 until releases are tagged:
its tree is taken from git (`git archive`), its own `manage.py` builds the schema and loads its
demo data, and a rep's phone syncs under it. Then the current code migrates the same database,
and the test checks that every row is still there and that the phone goes on syncing from the
cursor it had: nothing new is re-sent, and a full pull brings the same records.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS = "315d704"
BOOKKEEPING = {"auth_permission", "django_content_type", "django_session"}

# Run inside each tree's Django: rows per table, and a rep's pull (all pages) from a cursor.
PROBE = r"""
import json, sys
import django
django.setup()
from django.apps import apps
from django.db import connection
from django.test import Client
from fieldcrm.users.models import User
tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed}
                & set(connection.introspection.table_names()))
with connection.cursor() as c:
    counts = {}
    for t in tables:
        c.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(t)}")
        counts[t] = c.fetchone()[0]
client = Client()
client.force_login(User.objects.get(username="rep1"))
cursor, ids, pages = int(sys.argv[1]), {}, 0
while True:
    r = client.get(f"/api/v1/sync/pull?cursor={cursor}&limit=500")
    assert r.status_code == 200, r.content[:500]
    body = r.json()
    for plural, rows in body["changes"].items():
        ids.setdefault(plural, []).extend(str(row["id"]) for row in rows)
    cursor, pages = body["cursor"], pages + 1
    if not body["more"]:
        break
print(json.dumps({"counts": counts, "cursor": cursor, "ids": ids}))
"""


# Run in the current tree after the upgrade: what the data migrations filled is what the
# services compute (accounts.0007's duplicate keys) and finds (search.0002's index).
DERIVED = r"""
import json
import django
django.setup()
from fieldcrm.accounts import matching
from fieldcrm.accounts.models import Account
from fieldcrm.search.selectors import search
from fieldcrm.users.models import User
rows = Account.all_objects.values_list("email", "phone", "email_key", "phone_key")
wrong = [r for r in rows if (r[2], r[3]) != (matching.email_key(r[0]), matching.phone_key(r[1]))]
keyed = sum(1 for r in rows if r[2] or r[3])
manager = User.objects.filter(role="manager").first()
names = list(Account.objects.order_by("pk").values_list("name", flat=True)[:5])
found = [n for n in names if any(h.title == n for h in search(actor=manager, q=n, limit=50))]
print(json.dumps({"wrong": wrong[:5], "keyed": keyed, "names": names, "found": found}))
"""


def _database_url(tmp_path: Path) -> str:
    """A fresh database of the suite's backend, apart from the test database."""
    db = settings.DATABASES["default"]
    if "sqlite" in db["ENGINE"] or "spatialite" in db["ENGINE"]:
        return f"spatialite:///{tmp_path}/upgrade.db"
    import psycopg

    name = f"upgrade_{secrets.token_hex(4)}"
    with psycopg.connect(
        dbname="postgres", host=db["HOST"] or None, port=db["PORT"] or None,
        user=db["USER"] or None, password=db["PASSWORD"] or None, autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    user = f"{db['USER']}@" if db["USER"] else ""
    return f"postgis://{user}{db['HOST']}:{db['PORT']}/{name}"


def _run(tree: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=tree, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{tree} {args[:2]}:\n{done.stderr[-3000:]}"
    return done.stdout


def _probe(tree: Path, env: dict[str, str], cursor: int) -> dict:
    out = _run(
        tree, {**env, "DJANGO_SETTINGS_MODULE": "fieldcrm.settings"}, "-c", PROBE, str(cursor)
    )
    return json.loads(out.strip().splitlines()[-1])


def test_the_previous_releases_data_survives_the_upgrade_and_phones_keep_syncing(tmp_path):
    old = tmp_path / "previous"
    old.mkdir()
    tree = subprocess.run(["git", "archive", PREVIOUS], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(tree.stdout)) as tar:
        tar.extractall(old)  # our own repository's tree
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "FIELDCRM_"))
    }
    env |= {
        "DATABASE_URL": _database_url(tmp_path),
        "FIELDCRM_VAR_DIR": str(tmp_path / "var"),
        "FIELDCRM_DEMO_PASSWORD": "upgrade-pass-1",
        "FIELDCRM_ALLOWED_HOSTS": "testserver",
    }
    _run(old, env, "manage.py", "migrate", "--no-input", "-v0")
    _run(old, env, "manage.py", "load_demo")
    before = _probe(old, env, 0)  # the phone's first sync, under the previous release
    assert before["counts"]["accounts_account"] > 1000 and before["ids"]["accounts"]

    _run(ROOT, env, "manage.py", "migrate", "--no-input", "-v0")
    _run(ROOT, env, "manage.py", "check")
    derived = json.loads(
        _run(ROOT, {**env, "DJANGO_SETTINGS_MODULE": "fieldcrm.settings"}, "-c", DERIVED)
        .strip().splitlines()[-1]
    )  # fmt: skip
    assert not derived["wrong"] and derived["keyed"] > 0, derived
    assert derived["found"] == derived["names"], derived  # the index answers after the upgrade
    quiet = _probe(ROOT, env, before["cursor"])  # the same phone's next sync
    again = _probe(ROOT, env, 0)  # a phone installed after the upgrade

    # Every row of every table the previous release had is still there (Django's own
    # bookkeeping grows with new models, and the probes' logins make sessions).
    lost = {t: (n, again["counts"].get(t)) for t, n in before["counts"].items()
            if t not in BOOKKEEPING and again["counts"].get(t) != n}  # fmt: skip
    assert not lost, lost
    # The phone's cursor still means what it meant: nothing is re-sent, nothing is skipped.
    assert not any(quiet["ids"].values()), {k: len(v) for k, v in quiet["ids"].items() if v}
    for plural, ids in before["ids"].items():
        assert sorted(again["ids"].get(plural, [])) == sorted(ids), plural
