"""/manager/territories/balance: propose, see the table and the map, confirm, apply; the
errors are styled pages with the right status, and other roles get 403."""

from __future__ import annotations

import re

import pytest

from fieldcrm.accounts.models import Account
from fieldcrm.territories.services import territory_set_boundary
from tests.factories import square
from tests.fieldcrm.territories.test_balancing import crowded  # noqa: F401 - the fixture

URL = "/manager/territories/balance"


@pytest.fixture
def manager(client, world):
    client.force_login(world.manager)
    return client


def _propose(client, region_id) -> str:
    response = client.post(URL + "/propose", {"region_id": region_id})
    assert response.status_code == 302, response.content
    return re.search(r"proposal=([0-9a-f]+)", response["Location"]).group(1)


def test_propose_confirm_apply(manager, crowded):  # noqa: F811
    page = manager.get(URL)
    assert page.status_code == 200 and b'id="balance-propose"' in page.content
    pid = _propose(manager, crowded.north.pk)
    page = manager.get(f"{URL}?proposal={pid}").content.decode()
    assert 'id="balance-table"' in page and "rep1" in page and "balance-frame" in page
    frame = manager.get(f"{URL}/frame?proposal={pid}")
    assert frame.status_code == 200
    html = frame.content.decode()
    assert "Proposed territories" in html and "Territories today" in html
    assert "<script>" not in html  # every inline script carries the nonce
    confirm = manager.get(f"{URL}/confirm?proposal={pid}")
    assert b"balance-confirm-apply" in confirm.content
    before = dict(Account.objects.values_list("pk", "territory_id"))
    done = manager.post(URL + "/apply", {"proposal": pid})
    assert done.status_code == 302 and "applied=" in done["Location"]
    assert dict(Account.objects.values_list("pk", "territory_id")) != before
    notice = manager.get(done["Location"]).content.decode()
    assert 'id="balance-applied"' in notice
    # applying consumed the proposal
    again = manager.post(URL + "/apply", {"proposal": pid})
    assert again.status_code == 404 and b"bal-error" in again.content


def test_stale_proposal_is_a_409_page_and_nothing_changes(manager, crowded):  # noqa: F811
    pid = _propose(manager, crowded.north.pk)
    territory_set_boundary(territory=crowded.territory_b, boundary=square(1.1, 42.0, 1.2, 42.09))
    before = dict(Account.objects.values_list("pk", "territory_id"))
    response = manager.post(URL + "/apply", {"proposal": pid})
    assert response.status_code == 409
    assert b"changed after this proposal" in response.content
    assert dict(Account.objects.values_list("pk", "territory_id")) == before


def test_bad_region_is_a_422_page_naming_it(manager, crowded):  # noqa: F811
    for value in ("", "nope", str(crowded.south.pk)):
        response = manager.post(URL + "/propose", {"region_id": value})
        assert response.status_code == 422
        assert b'id="balance-error"' in response.content


def test_other_roles_are_refused(client, world):
    for persona in ("rep1", "planner"):
        client.force_login(getattr(world, persona))
        assert client.get(URL).status_code == 403
        assert client.post(URL + "/propose", {"region_id": world.north.pk}).status_code == 403


def test_names_are_escaped(manager, crowded):  # noqa: F811
    crowded.territory_a.name = '<img src=x onerror="alert(1)">'
    crowded.territory_a.save()
    pid = _propose(manager, crowded.north.pk)
    page = manager.get(f"{URL}?proposal={pid}").content.decode()
    assert "<img src=x" not in page
    frame = manager.get(f"{URL}/frame?proposal={pid}").content.decode()
    assert "<img src=x" not in frame


def test_the_method_and_tolerance_are_chosen_on_the_page(manager, crowded):  # noqa: F811
    page = manager.get(URL).content.decode()
    assert 'id="balance-method"' in page and 'value="5"' in page  # keep, 5 %: the defaults
    response = manager.post(URL + "/propose", {"region_id": crowded.north.pk, "method": "keep",
                                                "tolerance_pct": "10"})  # fmt: skip
    pid = re.search(r"proposal=([0-9a-f]+)", response["Location"]).group(1)
    shown = manager.get(f"{URL}?proposal={pid}").content.decode()
    assert "workloads within 10 %" in shown
    assert manager.session["territory_balance"]["tolerance"] == 0.1
    fresh = _propose_with(manager, crowded.north.pk, method="fresh")
    shown = manager.get(f"{URL}?proposal={fresh}").content.decode()
    assert "Re-cut from scratch" in shown and 'value="fresh" selected' in shown


def _propose_with(client, region_id, **fields) -> str:
    response = client.post(URL + "/propose", {"region_id": region_id, **fields})
    assert response.status_code == 302, response.content
    return re.search(r"proposal=([0-9a-f]+)", response["Location"]).group(1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tolerance_pct": "abc"}, "Give the tolerance as a percentage."),
        ({"tolerance_pct": "60"}, "Give a tolerance between 0 and 50 %."),
        ({"tolerance_pct": "-1"}, "Give a tolerance between 0 and 50 %."),
        ({"tolerance_pct": "nan"}, "Give a tolerance between 0 and 50 %."),
        ({"method": "random"}, "Choose keep or fresh."),
    ],
)
def test_a_bad_method_or_tolerance_is_a_422_page_and_nothing_is_proposed(
    manager,
    crowded,  # noqa: F811
    fields,
    message,
):
    response = manager.post(URL + "/propose", {"region_id": crowded.north.pk, **fields})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert "territory_balance" not in manager.session
