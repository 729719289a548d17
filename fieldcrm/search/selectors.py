"""Reads of the search index: ``search(actor=..., q=..., limit=...)``, the same on both
databases. Candidates come from the backend's index (PostGIS: pg_trgm, SpatiaLite: FTS5
trigram), already inside the caller's scope; they are then ranked by the one measure in
fieldcrm.search.text and each hit is read again through the access rule for its kind."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse

from fieldcrm.access import scoped
from fieldcrm.accounts.models import Account, Contact
from fieldcrm.deals.models import Deal
from fieldcrm.search.models import SearchEntry
from fieldcrm.search.text import MATCH_THRESHOLD, fold, similarity
from fieldcrm.users.models import User

MAX_LIMIT = 50
MAX_QUERY = 100
# PostGIS: pg_trgm's word-similarity cut for each word's candidates (our own measure then
# ranks the whole query).
PG_WORD_SIMILARITY = MATCH_THRESHOLD
MODELS = {SearchEntry.Kind.ACCOUNT: Account, SearchEntry.Kind.CONTACT: Contact,
          SearchEntry.Kind.DEAL: Deal}  # fmt: skip


@dataclass(frozen=True)
class SearchHit:
    kind: str
    id: str
    title: str
    detail: str
    score: float


def _short(entries: QuerySet[SearchEntry], text: str, pool: int) -> list[SearchEntry]:
    """One or two letters: too short for trigrams; words starting with them."""
    qs = entries.filter(Q(text__startswith=text) | Q(text__contains=f" {text}"))
    return list(qs.order_by("title", "pk")[:pool])


def _fts(sql: str, params: list[Any]) -> list[SearchEntry]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    return list(SearchEntry.objects.filter(pk__in=ids))


def _fuzzy_match(text: str) -> str:
    """An FTS5 query for words like the query's: each word of three letters or more by any
    of its trigrams, every such word required (shorter words are left to the ranking)."""
    words = []
    for word in re.findall(r"\w+", text):
        grams = sorted({word[i : i + 3] for i in range(len(word) - 2)})
        if grams:
            words.append("(" + " OR ".join(f'"{g}"' for g in grams) + ")")
    return " AND ".join(words)


def _in_scope_sql(scope: QuerySet[Account]) -> tuple[str, tuple[Any, ...]]:
    """The scope as a condition on the index row ``e``: its account looked up by key and
    checked against the (resolved) rule. An ``IN (scope)`` subquery would make SQLite build
    the caller's whole scope first, 0.5 s for a manager of 100,000 accounts, on every query."""
    sql, params = scope.order_by().values("pk").query.sql_with_params()
    table = Account._meta.db_table
    # The rule's own query ends with its WHERE clause: tie it to the index row's account.
    return f'EXISTS ({sql} AND "{table}"."id" = e.account_id)', params


def _sqlite(scope: QuerySet[Account], text: str, pool: int, fuzzy: bool) -> list[SearchEntry]:
    """FTS5 with the trigram tokenizer. Substring: the query as one phrase, rows in index
    order until ``pool`` are in scope (no ranking: each is a full hit). Fuzzy: every word by
    any of its trigrams (_fuzzy_match), best ranked (bm25) first. CROSS JOIN keeps the FTS
    table outside: the other way round SQLite runs the MATCH once per index row."""
    in_scope, params = _in_scope_sql(scope)
    if not fuzzy:
        match = '"' + text.replace('"', '""') + '"'
        sql = (
            "SELECT e.id FROM search_fts f CROSS JOIN search_searchentry e ON e.id = f.rowid "
            f"WHERE search_fts MATCH %s AND {in_scope} LIMIT %s"
        )
    else:
        match = _fuzzy_match(text)
        if not match:
            return []
        sql = (
            "SELECT e.id FROM (SELECT rowid AS id, rank AS r FROM search_fts "
            "WHERE search_fts MATCH %s) m CROSS JOIN search_searchentry e ON e.id = m.id "
            f"WHERE {in_scope} ORDER BY m.r LIMIT %s"
        )
    return _fts(sql, [match, *params, pool])


def _postgis(scope: QuerySet[Account], text: str, pool: int, fuzzy: bool) -> list[SearchEntry]:
    """pg_trgm, both through the GIN trigram index. Substring: LIKE, until ``pool`` are in
    scope. Fuzzy: each word like a word of the text (``<%``), the most similar first."""
    entries = SearchEntry.objects.filter(Exists(scope.filter(pk=OuterRef("account_id"))))
    if not fuzzy:
        return list(entries.filter(text__contains=text)[:pool])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(PG_WORD_SIMILARITY)],
        )
    # Every word of three letters or more must be like a word of the text (as on SpatiaLite):
    # each condition is an index scan, and together far fewer rows are checked one by one.
    words = [w for w in re.findall(r"\w+", text) if len(w) >= 3]
    if not words:
        return []
    qs = entries
    for i, word in enumerate(words):
        like = RawSQL('%s <%% "search_searchentry"."text"', [word], output_field=BooleanField())
        qs = qs.alias(**{f"like_{i}": like}).filter(**{f"like_{i}": True})
    qs = qs.annotate(score=RawSQL('word_similarity(%s, "search_searchentry"."text")', [text]))
    return list(qs.order_by("-score", "pk")[:pool])


def _candidates(actor: User, text: str, limit: int) -> list[SearchEntry]:
    """Rows of the caller's scope holding ``text``; when fewer than ``limit`` do, those
    similar to it as well (a typo), from the backend's index."""
    # Resolved: the rule's small id sets (territories, regions) read once, so each candidate's
    # account is checked by key (access.scoped).
    scope = scoped(Account, actor, resolved=True)
    if not actor.is_active:
        return []
    pool = max(50, limit * 5)
    if len(text) < 3:
        return _short(SearchEntry.objects.filter(account__in=scope.values("pk")), text, pool)
    backend = _postgis if connection.vendor == "postgresql" else _sqlite
    found = backend(scope, text, pool, False)
    if len(found) < limit:
        seen = {e.pk for e in found}
        found += [e for e in backend(scope, text, pool, True) if e.pk not in seen]
    return found


def search(*, actor: User, q: str, limit: int = 20) -> list[SearchHit]:
    """Accounts, contacts and deals of the caller's scope whose name, phone, e-mail or
    address matches ``q`` (accents, case and one typo forgiven), the best first."""
    text = fold(q)[:MAX_QUERY]
    limit = max(1, min(limit, MAX_LIMIT))
    if not text:
        return []
    ranked = sorted(
        ((similarity(text, e.text), e) for e in _candidates(actor, text, limit)),
        key=lambda pair: (-pair[0], pair[1].title.casefold(), pair[1].pk),
    )
    hits = [(score, e) for score, e in ranked if score >= MATCH_THRESHOLD][: limit * 2]
    return _visible(actor, hits)[:limit]


def _visible(actor: User, hits: list[tuple[float, SearchEntry]]) -> list[SearchHit]:
    """Only the hits the access rule lets the caller read, kind by kind (the index scopes by
    account already; this is the rule itself, and drops what a soft delete left behind)."""
    allowed: set[tuple[str, str]] = set()
    for kind, model in MODELS.items():
        ids = [e.record_id for _s, e in hits if e.kind == kind]
        if ids:
            found = scoped(model, actor).filter(pk__in=ids).values_list("pk", flat=True)
            allowed.update((kind, str(pk)) for pk in found)
    return [
        SearchHit(kind=e.kind, id=e.record_id, title=e.title, detail=e.detail, score=round(s, 3))
        for s, e in hits
        if (e.kind, e.record_id) in allowed
    ]


def hit_url(hit: SearchHit) -> str:
    """The hit's page in the workspace."""
    arg: object = int(hit.id) if hit.kind == SearchEntry.Kind.DEAL else hit.id
    return reverse(f"crm:{hit.kind}", args=[arg])
