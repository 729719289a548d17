"""/api/v1 endpoints of the tasks app."""

from ninja import Router

router = Router(tags=["tasks"])
