"""Reads of the search index: ``search(actor=..., q=..., limit=...)``, the same on both
databases. Candidates come from the backend's index (PostGIS: pg_trgm, SpatiaLite: FTS5
trigram), already inside the caller's scope; they are then ranked by the one measure in
fieldcrm.search.text and each hit is read again through the access rule for its kind."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
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
# PostGIS: pg_trgm's word-similarity cut for candidates, below our own MATCH_THRESHOLD so the
# final ranking (not the index) decides.
PG_WORD_SIMILARITY = 0.3
MODELS = {SearchEntry.Kind.ACCOUNT: Account, SearchEntry.Kind.CONTACT: Contact,
          SearchEntry.Kind.DEAL: Deal}  # fmt: skip


@dataclass(frozen=True)
class SearchHit:
    kind: str
    id: str
    title: str
    detail: str
    score: float


def _short(entries: QuerySet[SearchEntry], text: str) -> QuerySet[SearchEntry]:
    """One or two letters: too short for trigrams; words starting with them."""
    return entries.filter(Q(text__startswith=text) | Q(text__contains=f" {text}"))


def _sqlite(entries: QuerySet[SearchEntry], text: str, pool: int) -> QuerySet[SearchEntry]:
    """FTS5 (trigram tokenizer): rows holding any of the query's trigrams, best ranked
    first (bm25), within the scope subquery."""
    grams = {text[i : i + 3] for i in range(len(text) - 2)}
    match = " OR ".join('"' + g.replace('"', '""') + '"' for g in sorted(grams))
    scope_sql, params = entries.values("id").query.sql_with_params()
    sql = (
        "SELECT rowid FROM search_fts WHERE search_fts MATCH %s "
        f"AND rowid IN ({scope_sql}) ORDER BY rank LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, pool])
        ids = [row[0] for row in cursor.fetchall()]
    return SearchEntry.objects.filter(pk__in=ids)


def _postgis(entries: QuerySet[SearchEntry], text: str, pool: int) -> QuerySet[SearchEntry]:
    """pg_trgm: a substring (LIKE, GIN-indexed) or a word similar enough (``<%``, the same
    index), the most similar first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(PG_WORD_SIMILARITY)],
        )
    similar = RawSQL('%s <%% "search_searchentry"."text"', [text], output_field=BooleanField())
    score = RawSQL('word_similarity(%s, "search_searchentry"."text")', [text])
    qs = entries.alias(similar=similar).filter(Q(text__contains=text) | Q(similar=True))
    return qs.annotate(score=score).order_by("-score", "pk")[:pool]


def search(*, actor: User, q: str, limit: int = 20) -> list[SearchHit]:
    """Accounts, contacts and deals of the caller's scope whose name, phone, e-mail or
    address matches ``q`` (accents, case and one typo forgiven), the best first."""
    text = fold(q)[:MAX_QUERY]
    limit = max(1, min(limit, MAX_LIMIT))
    if not text:
        return []
    entries = SearchEntry.objects.filter(account__in=scoped(Account, actor).values("pk"))
    pool = max(50, limit * 5)
    if len(text) < 3:
        candidates = _short(entries, text).order_by("title", "pk")[:pool]
    elif connection.vendor == "postgresql":
        candidates = _postgis(entries, text, pool)
    else:
        candidates = _sqlite(entries, text, pool)
    ranked = sorted(
        ((similarity(text, e.text), e) for e in candidates),
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
