"""Query-string hygiene: an unknown filter is an error, not silently ignored."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema

from fieldcrm.core.errors import DomainError

PAGING = ("limit", "offset")


def reject_unknown_params(
    request: HttpRequest, *schemas: type[Schema], extra: Iterable[str] = PAGING
) -> None:
    allowed = {name for schema in schemas for name in schema.model_fields} | set(extra)
    for name in request.GET:
        if name not in allowed:
            raise DomainError(
                f"query.{name}",
                _("Unknown parameter %(name)s; allowed: %(allowed)s.")
                % {"name": name, "allowed": ", ".join(sorted(allowed))},
            )
