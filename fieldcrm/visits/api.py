"""/api/v1 endpoints of the visits app."""

from ninja import Router

router = Router(tags=["visits"])
