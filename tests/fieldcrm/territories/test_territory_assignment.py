"""Accounts follow their location into territories, also when boundaries move."""

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError

from fieldcrm.accounts.models import Account
from fieldcrm.accounts.services import account_update
from fieldcrm.territories.models import Territory
from fieldcrm.territories.services import territory_delete, territory_save, territory_set_boundary
from tests.factories import make_account, square


def test_account_inside_a_territory_is_assigned_to_it(world):
    assert make_account(lng=1.05, lat=42.05).territory == world.territory_a
    assert make_account(lng=1.15, lat=42.05).territory == world.territory_b


def test_account_outside_every_territory_has_none(world):
    assert make_account(lng=3.0, lat=45.0).territory is None


def test_account_without_coordinates_has_no_territory(world):
    assert make_account(lng=None).territory is None


def test_point_on_a_shared_border_goes_to_the_oldest_territory(world):
    account = make_account(lng=1.1, lat=42.05)
    assert account.territory == world.territory_a  # A was created before B


def test_point_on_a_shared_border_stays_where_it_is(world):
    account = make_account(lng=1.15, lat=42.05)
    assert account.territory == world.territory_b
    account = account_update(account=account, fields={"location": Point(1.1, 42.05, srid=4326)})
    assert account.territory == world.territory_b  # still touches B: no flapping to A


def test_moving_an_account_changes_its_territory(world):
    account = make_account(lng=1.05, lat=42.05)
    account_update(account=account, fields={"location": Point(1.0, 41.05, srid=4326)})
    assert Account.objects.get(pk=account.pk).territory == world.territory_s


def test_moving_a_boundary_reassigns_accounts_it_gains_and_loses(world):
    gained = make_account("gained", lng=1.12, lat=42.05)  # in B
    lost = make_account("lost", lng=1.02, lat=42.05)  # in A
    assert (gained.territory, lost.territory) == (world.territory_b, world.territory_a)
    territory_set_boundary(territory=world.territory_a, boundary=square(1.04, 42.0, 1.15, 42.1))
    gained.refresh_from_db()
    lost.refresh_from_db()
    assert gained.territory == world.territory_a
    assert lost.territory is None


def test_reassignment_bumps_the_version_so_phones_see_it(world):
    account = make_account(lng=1.12, lat=42.05)
    version = account.version
    territory_set_boundary(territory=world.territory_a, boundary=square(1.0, 42.0, 1.15, 42.1))
    account.refresh_from_db()
    assert account.version == version + 1


def test_deleting_a_territory_hands_accounts_to_a_neighbour_or_none(world):
    on_border = make_account(lng=1.1, lat=42.05)
    inside = make_account(lng=1.05, lat=42.05)
    territory_delete(territory=world.territory_a)
    on_border.refresh_from_db()
    inside.refresh_from_db()
    assert on_border.territory == world.territory_b
    assert inside.territory is None


def test_self_intersecting_boundary_is_refused_naming_the_field(world):
    bowtie = MultiPolygon(
        Polygon(((1.0, 42.0), (1.1, 42.1), (1.1, 42.0), (1.0, 42.1), (1.0, 42.0))), srid=4326
    )
    with pytest.raises(ValidationError) as error:
        territory_set_boundary(territory=world.territory_a, boundary=bowtie)
    assert "boundary" in error.value.message_dict
    assert "Self-intersection" in error.value.message_dict["boundary"][0]
    assert Territory.objects.get(pk=world.territory_a.pk).boundary.equals(
        square(1.0, 42.0, 1.1, 42.1)
    )


def test_boundary_out_of_range_is_refused(world):
    with pytest.raises(ValidationError) as error:
        territory_save(
            territory=Territory(name="X", region=world.north, boundary=square(170, 80, 190, 95))
        )
    assert "boundary" in error.value.message_dict


def test_a_failed_boundary_move_reassigns_nothing(world):
    account = make_account(lng=1.12, lat=42.05)
    bowtie = MultiPolygon(
        Polygon(((1.0, 42.0), (1.2, 42.1), (1.2, 42.0), (1.0, 42.1), (1.0, 42.0))), srid=4326
    )
    with pytest.raises(ValidationError):
        territory_set_boundary(territory=world.territory_a, boundary=bowtie)
    account.refresh_from_db()
    assert account.territory == world.territory_b
