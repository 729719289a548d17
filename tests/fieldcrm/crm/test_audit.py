"""Who changed what and when on accounts, contacts and deals (issue 16's audit)."""

from __future__ import annotations

from django.test import Client

from fieldcrm.accounts.services import account_update_by, contact_create, contact_update
from fieldcrm.audit.models import FieldChange
from fieldcrm.deals.models import Pipeline, Stage
from fieldcrm.deals.services import deal_create, deal_move, deal_update
from tests.factories import make_account


def changes(record):
    return [(c.field, c.old, c.new, c.actor_id) for c in
            FieldChange.objects.filter(record_id=str(record.pk)).order_by("pk")]  # fmt: skip


def test_each_changed_field_is_recorded_with_who_and_the_values(world):
    shop = make_account("Bakery", lng=1.05, lat=42.05)
    edit = {"name": "Bakery Nord", "owner_id": world.rep1.pk, "tier": "B"}
    account_update_by(actor=world.manager, account_id=shop.pk, data=edit)
    assert changes(shop) == [
        ("__created__", None, None, None),
        ("name", "Bakery", "Bakery Nord", world.manager.pk),
        ("owner", None, world.rep1.pk, world.manager.pk),
    ]  # the tier was B already: no row

    anna = contact_create(actor=world.rep1, account_id=shop.pk, data={"name": "Anna"})
    contact_update(actor=world.rep1, contact_id=anna.pk, data={"phone": "+376 812 345"})
    assert changes(anna)[-1] == ("phone", "", "+376 812 345", world.rep1.pk)

    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    open_, won = (Stage.objects.create(pipeline=pipeline, name=n, position=i, outcome=o)
                  for i, (n, o) in enumerate((("Open", "open"), ("Won", "won"))))  # fmt: skip
    deal = deal_create(actor=world.manager, data={"account_id": shop.pk, "name": "Ovens"})
    deal_update(actor=world.manager, deal_id=deal.pk, data={"amount": "1200.50"})
    deal_move(actor=world.manager, deal_id=deal.pk, stage_id=won.pk)
    fields = [c[0] for c in changes(deal)]
    assert fields == ["__created__", "amount", "stage", "closed_at"]
    assert changes(deal)[1][1:3] == ("0.00", "1200.50")


def test_managers_read_the_history_on_the_page_reps_do_not(world):
    shop = make_account("Bakery", lng=1.05, lat=42.05)
    account_update_by(actor=world.manager, account_id=shop.pk, data={"owner_id": world.rep1.pk})
    manager, rep = Client(), Client()
    manager.force_login(world.manager)
    rep.force_login(world.rep1)
    page = manager.get(f"/crm/accounts/{shop.pk}/").content.decode()
    assert 'id="history"' in page and 'Owner: <span dir="auto">—</span> → ' in page
    assert world.rep1.display_name in page.split('id="history"')[1]
    assert 'id="history"' not in rep.get(f"/crm/accounts/{shop.pk}/").content.decode()


def test_a_row_read_with_only_some_fields_is_audited_on_those_it_has(world):
    from fieldcrm.accounts.models import Account
    from fieldcrm.accounts.services import account_save

    shop = make_account("Bakery", lng=1.05, lat=42.05)
    partial = Account.objects.only("id", "name", "location", "territory").get(pk=shop.pk)
    assert set(partial._audit_loaded) == {"name", "location", "territory"}  # nothing loaded more
    partial.name = "Bakery Nord"
    account_save(account=partial, actor=world.manager)
    assert changes(shop)[-1] == ("name", "Bakery", "Bakery Nord", world.manager.pk)
