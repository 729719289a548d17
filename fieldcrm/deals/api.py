"""/api/v1 endpoints of the deals app."""

from ninja import Router

router = Router(tags=["deals"])
