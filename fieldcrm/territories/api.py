"""/api/v1 endpoints of the territories app."""

from ninja import Router

router = Router(tags=["territories"])
