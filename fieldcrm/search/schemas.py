"""Search shapes: the query and its hits."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from fieldcrm.core.schemas import Input
from fieldcrm.search.selectors import MAX_LIMIT, MAX_QUERY


class SearchQuery(Input):
    q: str = Field(min_length=1, max_length=MAX_QUERY, description="What to look for")
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)


class SearchHitOut(Schema):
    kind: str = Field(description="account, contact or deal")
    id: str
    title: str
    detail: str = Field(description="The address (account) or the account's name")
    score: float = Field(description="1.0 for a substring; else the share of trigrams found")
    url: str = Field(description="The record's page in the workspace")


class SearchOut(Schema):
    items: list[SearchHitOut]
