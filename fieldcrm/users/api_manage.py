"""/api/v1/users and /api/v1/custom-fields: admin management endpoints."""

from ninja import Router

router = Router(tags=["admin"])
