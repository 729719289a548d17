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


def test_every_app_is_in_the_import_contracts():
    """A new app joins the contracts: core may not import it, and its layers are checked."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    by_name = {c["name"]: c for c in contracts["contracts"]}
    ground = next(c for n, c in by_name.items() if n.startswith("core is the ground floor"))
    layered = next(c for n, c in by_name.items() if n.startswith("each app is layered"))
    apps = {p.parent.name for p in (ROOT / "fieldcrm").glob("*/apps.py")} - {"core"}
    missing = {a for a in apps if f"fieldcrm.{a}" not in ground["forbidden_modules"]}
    assert not missing, f"add to the core contract's forbidden_modules: {sorted(missing)}"
    with_layers = {p.parent.name for p in (ROOT / "fieldcrm").glob("*/services.py")} | {
        p.parent.name for p in (ROOT / "fieldcrm").glob("*/selectors.py")
    }
    unlayered = {a for a in with_layers if f"fieldcrm.{a}" not in layered["containers"]}
    assert not unlayered, f"add to the layers contract's containers: {sorted(unlayered)}"
