"""The world the fault suite and the sync benchmarks run in, seeded in a child process.

One region cut into square territories side by side (20 a row, 0.01° each), one rep per
territory with an API token, ``accounts`` customers in each, a manager and an admin with tokens.
``seed`` answers with what the phones need: tokens, ids, each territory's box.
"""

from __future__ import annotations

from typing import Any

from tests.harness.env import Target, harness_child

COLUMNS = 20
WIDTH = 0.01  # degrees: a territory is WIDTH × WIDTH
BULK_FROM = 20  # accounts per territory above which they are written in bulk


def seed(db: Target, reps: int = 2, accounts: int = 3) -> dict[str, Any]:
    """Seed ``db`` (migrated, empty) in a child process; returns tokens and ids."""
    return harness_child(db, "seed", str(reps), str(accounts))


def seed_here(reps: int, accounts: int) -> dict[str, Any]:
    """The child's side of ``seed`` (Django set up on the target database)."""
    from django.conf import settings
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon

    from fieldcrm.accounts.models import Account
    from fieldcrm.accounts.services import account_create
    from fieldcrm.core.models import insert_many
    from fieldcrm.territories.models import Region, Territory
    from fieldcrm.territories.services import territory_save
    from fieldcrm.users.models import User
    from fieldcrm.users.services import token_create

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def square(x0, y0, x1, y1):
        return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)

    def user(username, role):
        u = User(
            username=username, role=role, is_staff=role == "admin", is_superuser=role == "admin"
        )
        u.set_password("pw-" + username)
        u.save()
        return u

    rows_n = (reps + COLUMNS - 1) // COLUMNS
    admin = user("admin", "admin")
    manager = user("manager", "manager")
    region = Region.objects.create(
        name="North",
        boundary=square(1.0, 42.0, 1.0 + COLUMNS * WIDTH, 42.0 + rows_n * WIDTH),
        manager=manager,
    )
    manager.regions.add(region)
    out: dict[str, Any] = {
        "admin": token_create(user=admin, name="faults")[1],
        "manager": token_create(user=manager, name="faults")[1],
        "reps": [],
    }
    for i in range(reps):
        x0, y0 = 1.0 + (i % COLUMNS) * WIDTH, 42.0 + (i // COLUMNS) * WIDTH
        rep = user(f"rep{i + 1}", "rep")
        territory = territory_save(
            territory=Territory(
                name=f"T{i + 1}", region=region, boundary=square(x0, y0, x0 + WIDTH, y0 + WIDTH)
            )
        )
        territory.reps.set([rep])
        fields = [
            {
                "name": f"Shop {i + 1}.{k}",
                "status": "customer",
                "location": Point(x0 + WIDTH * (k + 1) / (accounts + 1), y0 + WIDTH / 2, srid=4326),
            }
            for k in range(accounts)
        ]
        if accounts <= BULK_FROM:
            ids = [str(account_create(fields=f).pk) for f in fields]
        else:
            # A real team's size (issue 22: 200 reps × 300 accounts): one INSERT per territory,
            # the territory known (every point lies inside its square), one change number.
            rows = [Account(territory=territory, **f) for f in fields]
            insert_many(rows)
            ids = [str(a.pk) for a in rows]
        out["reps"].append(
            {
                "username": rep.username,
                "id": rep.pk,
                "token": token_create(user=rep, name="f")[1],
                "territory": territory.pk,
                "box": [x0, y0, x0 + WIDTH, y0 + WIDTH],
                "accounts": ids,
            }
        )
    return out
