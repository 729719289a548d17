"""House rules that keep the layers apart (STYLE.md 2.2), checked on every run.

Good: ``return selectors.account_list(actor=request.auth, filters=filters)`` in an api module.
Bad: ``Account.objects.filter(...)`` in an api module — queries belong to selectors, where
scoping starts, so a handler cannot forget it.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API_MODULES = sorted((ROOT / "fieldcrm").glob("*/api*.py"))


def test_no_query_in_api_modules():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in API_MODULES
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.objects\b", line)
    ]
    assert API_MODULES and not offenders, offenders


def test_pure_packages_never_import_django():
    for package in ("routing", "maps"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            assert not re.search(r"^\s*(from|import) (django|fieldcrm)\b", text, re.M), path


def test_pwa_is_not_a_python_package():
    # A root pwa/__init__.py would shadow django-pwa, installed as `pwa`.
    assert not (ROOT / "pwa" / "__init__.py").exists()
