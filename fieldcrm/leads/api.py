"""/api/v1 endpoints of the leads app."""

from ninja import Router

router = Router(tags=["leads"])
