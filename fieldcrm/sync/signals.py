"""Scope changes the sync must tell phones about, wherever the change came from."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_save

from fieldcrm.accounts.models import Account, Activity, Contact
from fieldcrm.core.models import next_change_seq, touch
from fieldcrm.orders.models import PriceList
from fieldcrm.orders.services import lists_reach_phones
from fieldcrm.sync.models import ScopeLoss
from fieldcrm.territories.models import Territory


def account_saved(sender: type, instance: Account, created: bool, **_: Any) -> None:
    """An account that changed territory or owner leaves some phones and reaches others."""
    old = getattr(instance, "_loaded_scope", None)
    new = (instance.territory_id, instance.owner_id)
    instance._loaded_scope = new
    if created or old is None or old == new:
        return
    accounts_moved(moves=[(instance, old)])


def accounts_moved(*, moves: list[tuple[Account, tuple[int | None, int | None]]]) -> None:
    """Accounts whose territory or owner changed, each with its (territory, owner) before:
    their old holders' phones drop them, the new holders' phones get their history. Called by
    ``account_saved`` and by writes that skip ``save`` (bulk changes through update_many)."""
    if not moves:
        return
    ScopeLoss.objects.bulk_create(
        ScopeLoss(change_seq=account.change_seq, account_id=account.pk,
                  territory_id=territory_id, owner_id=owner_id)
        for account, (territory_id, owner_id) in moves
    )  # fmt: skip
    for account, _old in moves:
        account._loaded_scope = (account.territory_id, account.owner_id)
    # The new holders need the account's history too, not just the account row.
    ids = [account.pk for account, _old in moves]
    touch(Contact.all_objects.filter(account__in=ids))
    touch(Activity.all_objects.filter(account__in=ids))
    # And the price lists serving the accounts there (issue 18), with their products.
    territories = {account.territory_id for account, _old in moves} - {None}
    lists_reach_phones(_lists_serving(accounts=ids, territories=territories))


def _lists_serving(*, accounts: Any, territories: Any) -> list:
    """The price lists assigned to these accounts or territories (ids or subqueries)."""
    by_account = PriceList.accounts.through.objects.filter(account__in=accounts)
    by_territory = PriceList.territories.through.objects.filter(territory__in=territories)
    ids = set(by_account.values_list("pricelist_id", flat=True))
    return sorted(ids | set(by_territory.values_list("pricelist_id", flat=True)))


def territory_reps_changed(
    sender: type, instance: Territory, action: str, pk_set: set[int] | None, **_: Any
) -> None:
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    with transaction.atomic():
        if action == "post_remove":
            seq = next_change_seq()
            ScopeLoss.objects.bulk_create(
                ScopeLoss(change_seq=seq, territory_id=instance.pk, user_id=user_id)
                for user_id in pk_set
            )
        else:
            accounts = Account.all_objects.filter(territory=instance)
            touch(accounts)
            touch(Contact.all_objects.filter(account__in=accounts))
            touch(Activity.all_objects.filter(account__in=accounts))
            lists_reach_phones(_lists_serving(accounts=accounts, territories=[instance.pk]))


def connect() -> None:
    post_save.connect(account_saved, sender=Account, dispatch_uid="sync_account_saved")
    m2m_changed.connect(
        territory_reps_changed, sender=Territory.reps.through, dispatch_uid="sync_territory_reps"
    )
