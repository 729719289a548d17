"""Keep the search index in step with the records: every save (services, sync, imports,
admin) and every delete of an account, contact or deal. Bulk changes write owner, status and
tier only, none of which is searched, so their ``update_many`` needs nothing here."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from fieldcrm.accounts.models import Account, Contact
from fieldcrm.deals.models import Deal
from fieldcrm.search.services import KINDS, search_forget, search_index


@receiver(post_save, sender=Account)
@receiver(post_save, sender=Contact)
@receiver(post_save, sender=Deal)
def _saved(
    sender: type, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:  # fixtures load rows as they are; search_rebuild indexes them
        search_index(record=instance, created=created)


@receiver(post_delete, sender=Account)
@receiver(post_delete, sender=Contact)
@receiver(post_delete, sender=Deal)
def _deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    search_forget(kind=KINDS[sender], record_id=instance.pk)
