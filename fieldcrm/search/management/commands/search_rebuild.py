"""manage.py search_rebuild: fill the search index again from every live account, contact and
deal (after a restore, or rows written around the models' save)."""

from typing import Any

from django.core.management.base import BaseCommand

from fieldcrm.search.services import search_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index from every live account, contact and deal."

    def handle(self, *args: Any, **options: Any) -> None:
        count = search_rebuild()
        self.stdout.write(f"{count} records indexed.")
