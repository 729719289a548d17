"""Domain errors: one shape for admin, API, import and commands."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """A business rule refused the change; ``field`` names what the caller must fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def validation_error_fields(error: ValidationError) -> list[tuple[str, str]]:
    """Flatten a Django ValidationError into (field, message) pairs."""
    if hasattr(error, "error_dict"):
        return [
            (field, message) for field, errors in error.message_dict.items() for message in errors
        ]
    return [("__all__", message) for message in error.messages]
