"""One worker pass's e-mails over one SMTP connection, or one connection each (issue 17).

Run: .venv/bin/python bench/smtp_batch.py [--mails 300]

In one process on SpatiaLite: ``--mails`` notification e-mails queued, then sent by
``deliveries_send`` to a real SMTP server on a loopback port (aiosmtpd), once with
``FIELDCRM_EMAIL_PER_CONNECTION=1`` (a connection per e-mail, as before) and once with the
default; each claimed, sent and marked on its own both times. Loopback makes a connection
almost free (a real server's greeting, STARTTLS and login over a network cost tens to hundreds
of ms each), so this is the least the reuse saves. Printed: e-mails per second each way,
connections opened, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.env import child_json  # noqa: E402


def child(mails: int) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from fieldcrm.notifications.delivery import deliveries_send
    from fieldcrm.notifications.models import NotificationPreference
    from fieldcrm.notifications.services import notification_create
    from fieldcrm.users.models import User
    from tests.harness.smtp import smtp_server

    call_command("migrate", verbosity=0)
    user = User.objects.create(username="bench", role=User.Role.REP, email="bench@example.test")
    NotificationPreference.objects.create(user=user, kind="task_due", channel="email")

    out: dict[str, Any] = {"mails": mails}
    for shape, per in (("per_email", 1), ("reused", 100)):
        with smtp_server() as inbox:
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = inbox.host, inbox.port
            settings.FIELDCRM_EMAIL_PER_CONNECTION = per
            for n in range(mails):
                notification_create(recipient=user, kind="task_due",
                                    params={"title": f"Call {n}", "due_at": None})  # fmt: skip
            started = time.perf_counter()
            sent = 0
            while sent < mails:
                sent += deliveries_send().get("sent", 0)
            spent = time.perf_counter() - started
            out[shape] = {"per_s": round(mails / spent, 1), "connections": len(set(inbox.peers)),
                          "arrived": len(inbox.messages)}  # fmt: skip
    out["ratio"] = round(out["reused"]["per_s"] / out["per_email"]["per_s"], 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        db = SimpleNamespace(url=f"spatialite:///{tmp}/bench.db", workdir=Path(tmp))
        result = child_json(db, __file__, "--child", str(args.mails))
    print(json.dumps(result))
    print(f"e-mails/s: {result['per_email']['per_s']} with a connection each, "
          f"{result['reused']['per_s']} over one per pass (x{result['ratio']})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
