"""Every setting is read from the environment in settings.py, and README.md documents each one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (ROOT / "fieldcrm" / "settings.py").read_text()
README = (ROOT / "README.md").read_text()
CODE = [p for d in ("fieldcrm", "routing", "maps") for p in (ROOT / d).rglob("*.py")]


def test_every_variable_the_settings_read_is_in_the_readme_table():
    read = set(re.findall(r'"((?:FIELDCRM_|DATABASE_URL)[A-Z0-9_]*)"', SETTINGS))
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", README, re.M))
    assert read and read - documented == set()
    assert documented - read == set()


def test_the_code_reads_our_settings_only_through_settings_py():
    offenders = []
    for path in CODE:
        if path.name == "settings.py" and path.parent.name == "fieldcrm":
            continue
        text = path.read_text()
        # A getattr default hides a setting nobody can set; os.environ bypasses settings.py.
        if re.search(r"getattr\(settings,\s*\"FIELDCRM_", text) or re.search(
            r"os\.environ(?:\.get)?\(?\[?\"FIELDCRM_", text
        ):
            offenders.append(str(path.relative_to(ROOT)))
        for name in re.findall(r"settings\.(FIELDCRM_[A-Z0-9_]+)", text):
            if not re.search(rf"^{name} = ", SETTINGS, re.M):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders, offenders
