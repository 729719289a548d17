"""Every model change has its migration: a model edited without one would migrate a fresh
install to a schema the code does not describe (and the next `makemigrations` would surprise
whoever runs it)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_is_missing_its_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits 1 when a migration would be written
        pytest.fail(f"missing migrations (exit {exc.code}):\n{out.getvalue()}")
