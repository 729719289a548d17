"""Load the committed demo data set into the database (once).

Past history, deals and tasks are generated around *today* with a fixed seed, so a fresh demo
always has visits that are due, tasks due today and overdue ones.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import secrets
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import transaction
from django.utils import timezone

from fieldcrm.accounts.models import Account, Activity, Contact, Tag
from fieldcrm.accounts.services import territory_for_point
from fieldcrm.core.geo import as_multipolygon
from fieldcrm.deals.models import Deal, Pipeline, Stage
from fieldcrm.orders.models import PriceList, PriceListItem, Product
from fieldcrm.tasks.models import Task
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User
from fieldcrm.visits.models import Visit

DEMO_FILE = Path(settings.BASE_DIR) / "fieldcrm" / "data" / "demo" / "demo.json.gz"
PASSWORD_FILE = settings.VAR_DIR / "demo-password.txt"
FREQUENCY_DAYS = {"A": 14, "B": 28, "C": 56}
STAGES = [
    ("Qualified", 10, "open"),
    ("Meeting", 25, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
]
OUTCOMES = ["order", "follow_up", "no_interest", "not_met", "order", "follow_up"]
# (SKU, name, unit, tax rate %, unit price in the installation's currency)
PRODUCTS = [
    ("COF-250", "Espresso beans 250 g", "bag", "10", "6.40"),
    ("COF-1000", "Espresso beans 1 kg", "bag", "10", "21.90"),
    ("TEA-GRN", "Green tea, 100 bags", "box", "10", "8.75"),
    ("TEA-BLK", "Black tea, 100 bags", "box", "10", "7.95"),
    ("SUG-1000", "Cane sugar 1 kg", "pack", "5", "2.35"),
    ("CUP-08", "Paper cups 8 oz, 50", "sleeve", "21", "4.10"),
    ("LID-08", "Cup lids 8 oz, 50", "sleeve", "21", "2.60"),
    ("SYR-VAN", "Vanilla syrup 1 l", "bottle", "10", "9.80"),
]


class DemoRefused(Exception):
    pass


def demo_password() -> str:
    """FIELDCRM_DEMO_PASSWORD when set, else one generated once and kept in var/."""
    if settings.FIELDCRM_DEMO_PASSWORD:
        return settings.FIELDCRM_DEMO_PASSWORD
    if not PASSWORD_FILE.exists():
        PASSWORD_FILE.parent.mkdir(parents=True, exist_ok=True)
        PASSWORD_FILE.write_text(secrets.token_urlsafe(9) + "\n")
        PASSWORD_FILE.chmod(0o600)
    return PASSWORD_FILE.read_text().strip()


def demo_is_loaded() -> bool:
    return User.objects.filter(username="admin").exists() and Region.objects.exists()


def read_demo_file(path: Path = DEMO_FILE) -> dict[str, Any]:
    return json.loads(gzip.decompress(path.read_bytes()))


@transaction.atomic
def demo_load(
    *,
    today: dt.date | None = None,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] = lambda items, _label: items,
) -> dict[str, int]:
    """Create users, regions, territories, accounts and their history. All or nothing."""
    if settings.PRODUCTION:
        raise DemoRefused("demo data is never loaded in production settings")
    data = read_demo_file()
    today = today or timezone.localdate()
    password = demo_password()
    users = _create_users(password)
    territories = _create_regions(data["regions"], users)
    reps_by_territory = {t.pk: t.reps.first() for t in territories}
    rng = random.Random(20261124)
    pipeline = _create_pipeline()
    counts = {"accounts": 0, "visits": 0, "activities": 0, "deals": 0, "tasks": 0, "contacts": 0}
    counts["products"] = _create_catalog(territories)
    tag_names = {"key-account", "new-opening", "chain", "seasonal", "price-sensitive"}
    tags = {name: Tag.objects.get_or_create(name=name)[0] for name in sorted(tag_names)}
    for row in progress(data["accounts"], "accounts"):
        account = _create_account(row, territories, reps_by_territory)
        counts["accounts"] += 1
        if rng.random() < 0.2:
            account.tags.add(tags[rng.choice(sorted(tags))])
        rep = reps_by_territory.get(account.territory_id or 0)
        for key, n in _create_history(account, rep, pipeline, rng, today).items():
            counts[key] += n
    return counts


def _create_users(password: str) -> dict[str, User]:
    specs = [
        ("admin", User.Role.ADMIN),
        ("manager", User.Role.MANAGER),
        ("planner", User.Role.PLANNER),
    ]
    specs += [(f"rep{i}", User.Role.REP) for i in range(1, 7)]
    users = {}
    for username, role in specs:
        user = User(
            username=username,
            role=role,
            first_name=username.capitalize(),
            email=f"{username}@demo.fieldcrm.invalid",
            is_staff=role == User.Role.ADMIN,
            is_superuser=role == User.Role.ADMIN,
        )
        user.set_password(password)
        user.save()
        users[username] = user
    return users


def _create_regions(regions: list[dict[str, Any]], users: dict[str, User]) -> list[Territory]:
    territories = []
    for spec in regions:
        region = Region.objects.create(
            name=spec["name"],
            timezone=spec["timezone"],
            boundary=as_multipolygon(GEOSGeometry(json.dumps(spec["boundary"]), srid=4326)),
            manager=users["manager"],
        )
        users["manager"].regions.add(region)
        users["planner"].regions.add(region)
        for rep in spec["reps"]:
            user = users[rep["username"]]
            lng, lat = rep["home"]
            user.home_base = Point(lng, lat, srid=4326)
            user.break_start, user.break_end, user.break_minutes = dt.time(12), dt.time(14), 30
            user.save()
        for t in spec["territories"]:
            territory = Territory(
                name=t["name"],
                region=region,
                boundary=as_multipolygon(GEOSGeometry(json.dumps(t["boundary"]), srid=4326)),
            )
            territory.full_clean()
            territory.save()
            territory.reps.set([users[name] for name in t["reps"]])
            territories.append(territory)
    return territories


def _create_pipeline() -> list[Stage]:
    pipeline = Pipeline.objects.create(name="Field sales", is_default=True)
    return [
        Stage.objects.create(pipeline=pipeline, name=n, position=i, probability=p, outcome=o)
        for i, (n, p, o) in enumerate(STAGES)
    ]


def _create_catalog(territories: list[Territory]) -> int:
    """A few products and one price list, in the installation's currency, for every
    territory (so a quote from any demo account is priced)."""
    products = [
        Product.objects.create(sku=sku, name=name, unit=unit, tax_rate=Decimal(tax))
        for sku, name, unit, tax, _price in PRODUCTS
    ]
    price_list = PriceList.objects.create(name="Retail", currency=settings.FIELDCRM_CURRENCY)
    price_list.territories.set(territories)
    for product, spec in zip(products, PRODUCTS, strict=True):
        PriceListItem.objects.create(
            price_list=price_list, product=product, unit_price=Decimal(spec[4])
        )
    return len(products)


def _create_account(
    row: dict[str, Any], territories: list[Territory], reps_by_territory: dict[int, User | None]
) -> Account:
    account = Account(
        name=row["name"],
        status=row["status"],
        tier=row["tier"],
        priority={"A": 1, "B": 3, "C": 4}[row["tier"]],
        address=row["address"],
        location=Point(row["lng"], row["lat"], srid=4326),
        phone=row["phone"],
        website=row["website"] if row["website"].startswith("http") else "",
        opening_hours=row["opening_hours"],
        visit_frequency_days=FREQUENCY_DAYS[row["tier"]] if row["status"] != "lead" else None,
        source="OpenStreetMap",
        external_id=f"osm:{row['osm']}",
        custom_fields={},
    )
    account.full_clean(exclude=["territory"])
    account.territory = territory_for_point(account.location)
    # Owned from the start: a later change of owner would read as a scope change to sync.
    if row["status"] != "lead":
        account.owner = reps_by_territory.get(account.territory_id or 0)
    account.save()
    return account


def _aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _create_history(
    account: Account, rep: User | None, stages: list[Stage], rng: random.Random, today: dt.date
) -> dict[str, int]:
    counts = {"visits": 0, "activities": 0, "deals": 0, "tasks": 0, "contacts": 0}
    if rep is None:
        return counts
    if rng.random() < 0.6:
        Contact.objects.create(
            account=account,
            name=rng.choice(["Anna", "Jordi", "Mikko", "Laia", "Sanna", "Pere", "Aino", "Marc"])
            + " "
            + rng.choice(["Virtanen", "Puig", "Korhonen", "Serra", "Nieminen", "Vila"]),
            role=rng.choice(["Owner", "Store manager", "Buyer"]),
            phone=account.phone,
            is_primary=True,
        )
        counts["contacts"] += 1
    if account.status in {"customer", "prospect"}:
        frequency = account.visit_frequency_days or 30
        # Last visit spread around the cadence, so some are overdue and some are not.
        last = today - dt.timedelta(days=rng.randint(1, int(frequency * 1.6)))
        for k in range(rng.randint(1, 3)):
            day = last - dt.timedelta(days=k * frequency)
            at = _aware(day, rng.randint(9, 16), rng.choice([0, 15, 30, 45]))
            accuracy, distance = rng.choice([5.0, 8.0, 12.0, 25.0]), round(rng.uniform(3, 60), 1)
            fixed = account.location is not None  # else the check-in's position is missing
            visit = Visit.objects.create(
                account=account,
                rep=rep,
                status=Visit.Status.DONE,
                scheduled_on=day,
                checked_in_at=at,
                check_in_location=account.location,
                check_in_accuracy_m=accuracy if fixed else None,
                # A fresh fix, a few seconds after the tap (no draw: the set stays the same).
                check_in_fix_at=at + dt.timedelta(seconds=6) if fixed else None,
                distance_m=distance if fixed else None,
                completed_at=at + dt.timedelta(minutes=rng.randint(10, 40)),
                outcome=rng.choice(OUTCOMES),
                notes="Visited; discussed the seasonal range.",
            )
            Activity.objects.create(
                account=account, kind=Activity.Kind.VISIT, actor=rep, occurred_at=at,
                subject="Visit", body=visit.notes, visit=visit,
            )  # fmt: skip
            counts["visits"] += 1
            counts["activities"] += 1
        account.last_visited_at = _aware(last, 12)
    if (
        account.status == "prospect"
        and rng.random() < 0.5
        or (account.status == "customer" and rng.random() < 0.15)
    ):
        stage = rng.choice(stages[:4]) if rng.random() < 0.85 else rng.choice(stages[4:])
        Deal.objects.create(
            account=account, name=f"{account.name}: {rng.choice(['listing', 'reorder', 'pilot'])}",
            pipeline=stage.pipeline, stage=stage, owner=rep,
            amount=Decimal(rng.randrange(500, 25_000, 250)),
            expected_close_on=today + dt.timedelta(days=rng.randint(-10, 60)),
        )  # fmt: skip
        counts["deals"] += 1
    if rng.random() < 0.08:
        due = _aware(today + dt.timedelta(days=rng.randint(-5, 3)), rng.randint(9, 17))
        Task.objects.create(
            title=f"Call {account.name}", kind=Task.Kind.CALL, account=account,
            assignee=rep, due_at=due,
        )  # fmt: skip
        counts["tasks"] += 1
    account.save(update_fields=["last_visited_at"])
    return counts
