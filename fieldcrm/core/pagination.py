"""Lists are ``{"items": [...], "count": N}`` with limit/offset; an oversized page is an error."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field
from ninja.pagination import LimitOffsetPagination

from fieldcrm.core.schemas import Input

MAX_LIMIT = 500


class PageIn(Input):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10_000_000)


class Page(LimitOffsetPagination):
    Input = PageIn  # type: ignore[assignment]  # our bounds on limit and offset

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        offset, limit = pagination.offset, pagination.limit
        items = list(queryset[offset : offset + limit])
        return {"items": items, "count": total(queryset, items, offset, limit)}


def total(queryset: QuerySet, page: list, offset: int, limit: int) -> int:
    """The list's size: implied by a page that is not full (no COUNT over a large table),
    else counted."""
    if len(page) < limit and (page or offset == 0):
        return offset + len(page)
    return queryset.order_by().count()
