"""What makes the search index fast, per database, and the index's first filling.

PostGIS: the pg_trgm extension and a GIN trigram index on the folded text (LIKE and the
word-similarity operator both use it). Text is folded in Python (fieldcrm.search.text), so
``unaccent`` is not needed. SpatiaLite: an FTS5 table with the trigram tokenizer (SQLite
>= 3.34) over the folded text, external content, kept in step by triggers on the index table.
"""

import re
import unicodedata

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(text, content='search_searchentry', "
    "content_rowid='id', tokenize='trigram')",
    # The backfill ran before this: index what it wrote in one pass, then keep in step.
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
    "CREATE TRIGGER search_fts_ai AFTER INSERT ON search_searchentry BEGIN "
    "INSERT INTO search_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER search_fts_ad AFTER DELETE ON search_searchentry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER search_fts_au AFTER UPDATE OF text ON search_searchentry BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO search_fts(rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_fts_au", "DROP TRIGGER IF EXISTS search_fts_ad",
    "DROP TRIGGER IF EXISTS search_fts_ai", "DROP TABLE IF EXISTS search_fts",
]  # fmt: skip
POSTGIS = [
    # The backfill's inserts left their foreign-key checks deferred to the commit, and
    # PostgreSQL builds no index on a table with pending checks: run them now.
    "SET CONSTRAINTS ALL IMMEDIATE",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS search_entry_text_trgm ON search_searchentry "
    "USING gin (text gin_trgm_ops)",
]
POSTGIS_DROP = ["DROP INDEX IF EXISTS search_entry_text_trgm"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def _fold(value):
    # A frozen copy of fieldcrm.search.text.fold: a migration must not change with the code.
    value = value.translate(str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o",
                                           "ł": "l", "Ł": "l"}))  # fmt: skip
    bare = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", bare.casefold()).strip()


def _phone(value):
    digits = re.sub(r"\D", "", value or "")
    return f"{value} {digits}" if digits and digits != value else value or ""


def backfill(apps, schema_editor):
    Entry = apps.get_model("search", "SearchEntry")
    Account = apps.get_model("accounts", "Account")
    Contact = apps.get_model("accounts", "Contact")
    Deal = apps.get_model("deals", "Deal")
    names = {}
    batch = []

    def add(**fields):
        batch.append(Entry(**fields))
        if len(batch) >= 2000:
            Entry.objects.bulk_create(batch)
            batch.clear()

    for a in Account.objects.filter(deleted_at__isnull=True).iterator(chunk_size=2000):
        names[a.pk] = a.name
        text = _fold(" ".join([a.name, a.address, _phone(a.phone), a.email]))
        add(kind="account", record_id=str(a.pk), account_id=a.pk, title=a.name[:200],
            detail=a.address[:300], text=text)  # fmt: skip
    for c in Contact.objects.filter(deleted_at__isnull=True).iterator(chunk_size=2000):
        if c.account_id not in names:
            continue
        text = _fold(" ".join(p for p in [c.name, _phone(c.phone), c.email, c.role] if p))
        add(kind="contact", record_id=str(c.pk), account_id=c.account_id, title=c.name[:200],
            detail=names[c.account_id][:300], text=text)  # fmt: skip
    for d in Deal.objects.iterator(chunk_size=2000):
        if d.account_id not in names:
            continue
        add(kind="deal", record_id=str(d.pk), account_id=d.account_id, title=d.name[:200],
            detail=names[d.account_id][:300], text=_fold(d.name))  # fmt: skip
    Entry.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("deals", "0003_currency_iso_4217"),
    ]

    # The rows first, the index after: one build over them (FTS5's 'rebuild', one GIN build)
    # instead of an index update per row (at 100,000 accounts that took minutes).
    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGIS}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGIS_DROP}),
        ),
    ]
