"""The Vietnamese and Persian catalogs stay complete, on the server and on the phone.

Server: ``makemessages`` runs on a copy of the code (never on the repo's files), merging what
it extracts into copies of ``fieldcrm/locale/{vi,fa}``; every message the code has must come
out translated (not empty, not fuzzy) and pass ``msgfmt --check``. A new or changed string in
the code fails here until its translations are in the catalogs.
Phone: the app's catalogs (``pwa/static/pwa/js/i18n/*.js``, loaded by node as the app loads
them) must translate every key of the English one with the same placeholders, and every key
the app's modules pass to ``t()`` must be there.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("vi", "fa")
# What makemessages reads: the code that ships (tests and benchmarks are not translated).
SOURCES = ("manage.py", "fieldcrm", "maps", "routing", "pwa/templates")
PHONE_JS = ROOT / "pwa" / "static" / "pwa" / "js"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


# --- Server: gettext catalogs ------------------------------------------------------------------


def po_entries(path: Path) -> list[dict]:
    """The live entries of a .po file: msgid, msgstrs, flags and locations (no obsolete ones)."""
    entries, entry, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry and "msgid" in entry and not entry["obsolete"]:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry or {"flags": set(), "where": [], "msgstr": {}, "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#:"):
            entry["where"] += line[2:].split()
        elif line.startswith("#"):
            continue
        else:
            keyword, _, rest = line.partition(" ")
            if keyword.startswith('"'):  # a continuation line of the last field
                rest = line
            else:
                field = keyword
            text = ast.literal_eval(rest.strip())
            if field.startswith("msgstr"):
                entry["msgstr"][field] = entry["msgstr"].get(field, "") + text
            else:
                entry[field] = entry.get(field, "") + text
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, Path]:
    """Language -> the repo's catalog merged with the messages extracted from the code now."""
    missing = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if shutil.which(tool) is None]
    assert not missing, f"gettext tools missing ({missing}): run `make sysdeps`"
    copy = tmp_path_factory.mktemp("catalogs")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", ".compiled", "node_modules")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=skip)
        else:
            shutil.copy2(source, copy / name)
    # The copy's own manage.py and settings, so LOCALE_PATHS (and every write) point into it.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHONPATH"))}
    env.update(
        DJANGO_SETTINGS_MODULE="fieldcrm.settings",
        FIELDCRM_SECRET_KEY="catalog-check-not-a-secret",
        FIELDCRM_VAR_DIR=str(copy / "var"),
    )
    command = [sys.executable, "manage.py", "makemessages", "-v0"]
    command += [arg for code in LANGUAGES for arg in ("-l", code)]
    done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return {code: copy / "fieldcrm" / "locale" / code / "LC_MESSAGES" / "django.po"
            for code in LANGUAGES}  # fmt: skip


@pytest.mark.parametrize("code", LANGUAGES)
def test_server_catalog_translates_every_message_in_the_code(extracted, code):
    entries = po_entries(extracted[code])
    assert len(entries) > 100, "makemessages found almost nothing: is SOURCES still right?"
    untranslated = [
        f"{' '.join(e['where'][:2])}: {e['msgid'][:70]!r}"
        + (" (fuzzy)" if "fuzzy" in e["flags"] else "")
        for e in entries
        if "fuzzy" in e["flags"] or not all(e["msgstr"].values())
    ]
    assert not untranslated, (
        f"{len(untranslated)} messages lack a {code} translation in "
        f"fieldcrm/locale/{code}/LC_MESSAGES/django.po (run makemessages, then translate):\n"
        + "\n".join(untranslated[:40])
    )
    checked = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(extracted[code])],
        capture_output=True,
        text=True,
    )
    errors = [line for line in checked.stderr.splitlines() if "warning:" not in line]
    assert checked.returncode == 0, "\n".join(errors)[-3000:]


# --- Phone: the app's JavaScript catalogs ------------------------------------------------------


@pytest.fixture(scope="module")
def phone_catalogs() -> dict[str, dict[str, str]]:
    """Language -> key -> text, as the app's ES modules export them (read by node)."""
    node = shutil.which("node")
    assert node, "node is missing: run `make sysdeps`"
    folder = (PHONE_JS / "i18n").as_uri()
    script = (
        "const out = {};"
        f"for (const code of {json.dumps(['en', *LANGUAGES])})"
        f"  out[code] = (await import(`{folder}/${{code}}.js`)).messages;"
        "console.log(JSON.stringify(out));"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def keys_the_phone_uses() -> tuple[set[str], set[str]]:
    """Keys passed to ``t()`` in the app's modules: literal keys (``t("x")``, ``t(a ? "x" :
    "y")``) and the prefixes of built ones (``t(`status_${s}`)``)."""
    literal, prefixes = set(), set()
    modules = [p for p in PHONE_JS.rglob("*.js") if "i18n" not in p.relative_to(PHONE_JS).parts]
    for path in [*modules, ROOT / "pwa" / "serviceworker.js"]:
        for arg in re.findall(r"\bt\(\s*([^,)]*)", path.read_text(encoding="utf-8")):
            literal.update(re.findall(r"[\"']([a-z][a-z0-9_]*)[\"']", arg))
            prefixes.update(re.findall(r"`([a-z][a-z0-9_]*)\$\{", arg))
    return literal, prefixes


@pytest.mark.parametrize("code", LANGUAGES)
def test_phone_catalog_translates_every_key_of_the_english_one(phone_catalogs, code):
    en, catalog = phone_catalogs["en"], phone_catalogs[code]
    assert set(catalog) == set(en), {
        "missing": sorted(set(en) - set(catalog)),
        "not in English": sorted(set(catalog) - set(en)),
    }
    empty = sorted(key for key, text in catalog.items() if not str(text).strip())
    assert not empty, f"empty {code} texts: {empty}"
    placeholders = {
        key: (sorted(PLACEHOLDER.findall(en[key])), sorted(PLACEHOLDER.findall(text)))
        for key, text in catalog.items()
        if set(PLACEHOLDER.findall(en[key])) != set(PLACEHOLDER.findall(text))
    }
    assert not placeholders, f"{code} placeholders differ from English: {placeholders}"


def test_phone_catalogs_have_every_key_the_app_uses(phone_catalogs):
    literal, prefixes = keys_the_phone_uses()
    assert len(literal) > 20 and prefixes, "found almost no t() calls: has i18n.js changed?"
    for code, catalog in phone_catalogs.items():
        missing = sorted(literal - set(catalog))
        assert not missing, f"keys used by the app but not in i18n/{code}.js: {missing}"
        unbacked = sorted(p for p in prefixes if not any(k.startswith(p) for k in catalog))
        assert not unbacked, f"no {code} key starts with {unbacked}"


def test_phone_catalogs_name_every_value_the_server_sends(phone_catalogs):
    """Built keys show values that come from the server: each value needs its key."""
    from fieldcrm.accounts.models import Account, Activity
    from fieldcrm.sync.entities import ENTITIES
    from fieldcrm.visits.models import Visit

    values = {
        "account_status_": Account.Status.values,
        "activity_": Activity.Kind.values,
        "status_": Visit.Status.values,
        "outcome_": [v for v in Visit.Outcome.values if v],
        "entity_": list(ENTITIES),
    }
    for code, catalog in phone_catalogs.items():
        missing = sorted(p + v for p, vs in values.items() for v in vs if p + v not in catalog)
        assert not missing, f"i18n/{code}.js lacks {missing}"
