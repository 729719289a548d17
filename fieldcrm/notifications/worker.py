"""What one round of the worker runs before sending deliveries, beyond reminders and digests:
other apps register a step (the automation app: process the outbox of domain events), so
``run_worker`` and the Celery jobs run them without this app knowing those apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

STEPS: list[Callable[[], Any]] = []


def register_step(step: Callable[[], Any]) -> None:
    if step not in STEPS:
        STEPS.append(step)


def steps_run() -> dict[str, Any]:
    """Run every registered step once; returns each step's result by its name."""
    return {step.__name__: step() for step in STEPS}
