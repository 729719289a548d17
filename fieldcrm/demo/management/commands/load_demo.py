"""Load the demo data set once, with a progress bar."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fieldcrm.demo import load as demo_load


class Command(BaseCommand):
    help = "Load the demo regions, users, accounts and history (only into an empty database)."

    def handle(self, *args, **options) -> None:
        if demo_load.demo_is_loaded():
            self.stdout.write("Demo data already loaded; keeping it.")
        else:
            try:
                counts = demo_load.demo_load(
                    progress=lambda items, label: tqdm(items, desc=label, unit=" rows")
                )
            except demo_load.DemoRefused as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(", ".join(f"{n} {k}" for k, n in counts.items()))
        self.stdout.write(
            "Demo logins: admin, manager, planner, rep1 … rep6 — password: "
            f"{demo_load.demo_password()}"
        )
