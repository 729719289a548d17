"""/api/v1/plans: generate route plans, follow the job, move/pin stops, re-optimise, publish."""

from ninja import Router

router = Router(tags=["route plans"])
