"""The accounts list's segments (saved views), bulk changes (through fieldcrm.bulk's
preview → apply → undo) and the search page, through the test client."""

from __future__ import annotations

import pytest

from fieldcrm.accounts.models import Account, Activity, Tag
from fieldcrm.crm.models import Segment
from tests.factories import make_account
from tests.fieldcrm.crm.test_crm_pages import client_for, names, shops  # noqa: F401 (fixture)


def _save(client, query, name="Customers", shared=False):
    data = {"name": name, "query": query, "next": "/crm/accounts/?" + query}
    if shared:
        data["is_shared"] = "on"
    return client.post("/crm/segments/", data)


def test_a_saved_segment_reopens_the_same_filters_within_each_viewers_scope(world, shops):  # noqa: F811
    manager = client_for(world, "manager")
    response = _save(manager, "status=customer&status=prospect&sort=name", shared=True)
    segment = Segment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"?segment={segment.pk}")
    assert segment.query == {"status": ["customer", "prospect"]}  # sort is the viewer's own
    listed = manager.get(f"/crm/accounts/?segment={segment.pk}")
    assert names(listed) == ["Alpha bakery", "Beta kiosk"]
    assert 'id="crm-segment-name">Customers<' in listed.content.decode()
    descending = manager.get(f"/crm/accounts/?segment={segment.pk}&sort=name&order=desc")
    assert names(descending) == ["Beta kiosk", "Alpha bakery"]
    # Shared with the team: rep1 (North) applies it to their own accounts only; rep3 (South)
    # is not of the team and gets the same 404 as for a missing segment.
    assert names(client_for(world, "rep1").get(f"/crm/accounts/?segment={segment.pk}")) == [
        "Alpha bakery", "Beta kiosk",
    ]  # fmt: skip
    assert names(client_for(world, "rep2").get(f"/crm/accounts/?segment={segment.pk}")) == []
    rep3 = client_for(world, "rep3")
    assert rep3.get(f"/crm/accounts/?segment={segment.pk}").status_code == 404
    assert rep3.get("/crm/accounts/?segment=987654").status_code == 404
    assert rep3.get("/crm/accounts/?segment=x1").status_code == 404


def test_a_private_segment_is_its_authors_alone(world, shops):  # noqa: F811
    rep1 = client_for(world, "rep1")
    _save(rep1, "tier=A", name="Mine")
    segment = Segment.objects.get()
    assert not segment.is_shared
    assert names(rep1.get(f"/crm/accounts/?segment={segment.pk}")) == ["Alpha bakery"]
    for persona in ("manager", "rep2", "admin"):
        other = client_for(world, persona)
        assert other.get(f"/crm/accounts/?segment={segment.pk}").status_code == 404, persona
        assert "Mine" not in other.get("/crm/accounts/").content.decode()
        # Nobody but the author deletes it (private: 404; not theirs at all).
        assert other.post(f"/crm/segments/{segment.pk}/delete").status_code == 404
    assert rep1.post(f"/crm/segments/{segment.pk}/delete").status_code == 302
    assert not Segment.objects.exists()


def test_a_segment_without_a_name_or_filters_is_refused_naming_the_field(world, shops):  # noqa: F811
    manager = client_for(world, "manager")
    page = _save(manager, "status=customer", name=" ")
    assert Segment.objects.count() == 0
    shown = manager.get(page["Location"]).content.decode()
    assert "Segment name:" in shown
    _save(manager, "sort=name", name="Everything")
    assert Segment.objects.count() == 0
    _save(manager, "status=customer", name="Twice")
    assert (
        "already"
        in manager.get(_save(manager, "tier=A", name="Twice")["Location"]).content.decode()
    )
    assert Segment.objects.count() == 1


def test_bulk_owner_change_from_the_list_previews_applies_and_undoes(world, shops):  # noqa: F811
    manager = client_for(world, "manager")
    ids = [str(shops["a1"].pk), str(shops["a2"].pk)]
    data = {"change": f"owner:{world.rep2.pk}", "ids": ids, "filters": "tier=A"}
    preview = manager.post("/crm/accounts/bulk/preview", data)
    html = preview.content.decode()
    assert preview.status_code == 200 and 'id="crm-bulk-apply"' in html
    assert "Alpha bakery" in html and "Beta kiosk" in html
    assert Account.objects.filter(owner=world.rep2).count() == 1  # a preview writes nothing
    applied = manager.post("/crm/accounts/bulk/apply", data)
    assert applied.status_code == 302 and applied["Location"] == "/crm/accounts/?tier=A"
    assert set(Account.objects.filter(owner=world.rep2).values_list("name", flat=True)) == {
        "Alpha bakery", "Beta kiosk", "Gamma shop",
    }  # fmt: skip
    assert Activity.objects.filter(kind="owner_change", actor=world.manager).count() == 2
    page = manager.get(applied["Location"]).content.decode()
    assert 'id="crm-bulk-notice"' in page and "on 2 accounts" in page
    undone = manager.post("/crm/accounts/bulk/undo", {"change_id": "", "filters": ""})
    assert undone.status_code == 302
    assert Account.objects.get(pk=shops["a1"].pk).owner_id == world.rep1.pk
    assert Account.objects.get(pk=shops["a2"].pk).owner_id is None
    assert 'id="crm-bulk-notice"' not in manager.get("/crm/accounts/").content.decode()


def test_bulk_tags_from_the_list_add_one_tag_and_undo(world, shops):  # noqa: F811
    Tag.objects.create(name="<b>vip</b>")
    manager = client_for(world, "manager")
    form = manager.get("/crm/accounts/").content.decode()
    assert 'value="tags:add:&lt;b&gt;vip&lt;/b&gt;"' in form and "<b>vip</b>" not in form
    ids = [str(shops["a1"].pk), str(shops["a2"].pk)]
    data = {"change": "tags:add:<b>vip</b>", "ids": ids, "filters": ""}
    preview = manager.post("/crm/accounts/bulk/preview", data).content.decode()
    assert "Tags: add &lt;b&gt;vip&lt;/b&gt;?" in preview and 'id="crm-bulk-apply"' in preview
    applied = manager.post("/crm/accounts/bulk/apply", data)
    assert applied.status_code == 302
    tagged = Account.objects.filter(tags__name="<b>vip</b>").values_list("name", flat=True)
    assert set(tagged) == {"Alpha bakery", "Beta kiosk"}
    page = manager.get("/crm/accounts/").content.decode()
    assert "Your last bulk change: tags: add &lt;b&gt;vip&lt;/b&gt; on 2 accounts." in page
    manager.post("/crm/accounts/bulk/undo", {"change_id": "", "filters": ""})
    assert not Account.objects.filter(tags__name="<b>vip</b>").exists()
    unknown = manager.post("/crm/accounts/bulk/preview", {**data, "change": "tags:add:nope"})
    assert unknown.status_code == 302  # not a choice of the form: refused, nothing written


def test_bulk_all_matching_takes_the_filtered_set_and_a_segment(world, shops):  # noqa: F811
    manager = client_for(world, "manager")
    data = {"change": "tier:B", "all_matching": "on", "filters": "status=customer"}
    preview = manager.post("/crm/accounts/bulk/preview", data)
    html = preview.content.decode()
    # Delta south is a customer too, but outside the manager's region.
    assert "Alpha bakery" in html and "Delta south" not in html and "Beta kiosk" not in html
    _save(manager, "status=lead", name="Leads")
    segment = Segment.objects.get()
    preview = manager.post("/crm/accounts/bulk/preview",
                           {"change": "status:prospect", "all_matching": "on",
                            "filters": f"segment={segment.pk}"})  # fmt: skip
    assert "Gamma shop" in preview.content.decode()
    assert "Alpha bakery" not in preview.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [({"change": "owner:1"}, "Tick the accounts"),
     ({"change": "colour:red", "ids": ["x"]}, "Change:"),
     ({"change": "status:customer", "ids": ["not-a-uuid"]}, "not found")],
)  # fmt: skip
def test_bad_bulk_requests_are_named_and_change_nothing(world, shops, data, message):  # noqa: F811
    manager = client_for(world, "manager")
    before = set(Account.objects.values_list("pk", "version"))
    response = manager.post("/crm/accounts/bulk/preview", data)
    assert response.status_code == 302
    assert message in manager.get(response["Location"]).content.decode()
    assert set(Account.objects.values_list("pk", "version")) == before


def test_a_rep_cannot_bulk_change_an_account_outside_their_scope(world, shops):  # noqa: F811
    rep1 = client_for(world, "rep1")
    response = rep1.post("/crm/accounts/bulk/apply",
                         {"change": "tier:A", "ids": [str(shops["s1"].pk)]})  # fmt: skip
    assert response.status_code == 302
    assert "not found" in rep1.get(response["Location"]).content.decode()
    assert Account.objects.get(pk=shops["s1"].pk).tier == "B"


def test_the_search_page_groups_hits_and_works_without_script(world):
    make_account("Nguyễn bakery", lng=1.05)
    make_account("Nguyễn South", lng=1.05, lat=41.05)
    rep1 = client_for(world, "rep1")
    html = rep1.get("/crm/search/?q=nguyen").content.decode()
    assert "Nguyễn bakery" in html and "Nguyễn South" not in html
    assert 'id="group-account"' in html
    assert "Nothing matches" in rep1.get("/crm/search/?q=zzzz").content.decode()
    assert 'id="crm-empty"' in rep1.get("/crm/search/").content.decode()
    too_long = rep1.get("/crm/search/?q=" + "x" * 300)
    assert too_long.status_code == 200 and "Search:" in too_long.content.decode()


def test_a_segment_filter_the_viewer_cannot_use_matches_nothing_and_blocks_all_matching(
    world,
    shops,  # noqa: F811
):
    manager = client_for(world, "manager")
    _save(manager, f"owner={world.rep2.pk}", name="Rep2's", shared=True)
    segment = Segment.objects.get()
    assert names(manager.get(f"/crm/accounts/?segment={segment.pk}")) == ["Gamma shop"]
    # rep1 may not filter by rep2: the filter is named and the list is empty, not all theirs.
    rep1 = client_for(world, "rep1")
    page = rep1.get(f"/crm/accounts/?segment={segment.pk}")
    assert names(page) == [] and "Some filters were not used" in page.content.decode()
    data = {"change": "tier:A", "all_matching": "on", "filters": f"segment={segment.pk}"}
    refused = rep1.post("/crm/accounts/bulk/preview", data)
    assert "correct them" in rep1.get(refused["Location"]).content.decode()
