"""Model-level rules every entry point (admin, API, import) gets: each names its field."""

import math

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError

from fieldcrm.accounts.models import Account, CustomFieldDefinition
from fieldcrm.accounts.services import account_update
from tests.factories import make_account


def _refused(field: str, **fields) -> list[str]:
    with pytest.raises(ValidationError) as error:
        make_account(**fields)
    assert field in error.value.message_dict, error.value.message_dict
    return error.value.message_dict[field]


@pytest.mark.parametrize(
    ("old", "new"),
    [("lead", "prospect"), ("lead", "customer"), ("prospect", "customer"),
     ("customer", "churned"), ("churned", "customer"), ("disqualified", "lead")],
)  # fmt: skip
def test_lifecycle_allows_forward_moves(world, old, new):
    account = make_account(status=old)
    account = account_update(account=account, fields={"status": new})
    assert Account.objects.get(pk=account.pk).status == new


@pytest.mark.parametrize(
    ("old", "new"), [("customer", "lead"), ("customer", "prospect"), ("prospect", "lead")]
)
def test_lifecycle_refuses_going_back_and_saves_nothing(world, old, new):
    account = make_account(status=old, phone="1")
    with pytest.raises(ValidationError) as error:
        account_update(account=account, fields={"status": new, "phone": "2"})
    assert "status" in error.value.message_dict
    stored = Account.objects.get(pk=account.pk)
    assert (stored.status, stored.phone, stored.version) == (old, "1", 1)


@pytest.mark.parametrize(
    ("lng", "lat"), [(181.0, 0.0), (-181.0, 0.0), (0.0, 91.0), (0.0, -90.5), (math.nan, 1.0),
                     (1.0, math.inf)],
)  # fmt: skip
def test_coordinates_out_of_range_or_not_finite_are_refused(world, lng, lat):
    _refused("location", lng=lng, lat=lat)
    assert not Account.all_objects.exists()


def test_unknown_custom_field_is_refused(world):
    messages = _refused("custom_fields", custom_fields={"colour": "red"})
    assert "colour" in messages[0]


def test_custom_field_values_are_checked_against_their_definition(world):
    CustomFieldDefinition.objects.create(key="shelf_m", label="Shelf", kind="number")
    CustomFieldDefinition.objects.create(
        key="segment", label="Segment", kind="choice", choices=["retail", "horeca"]
    )
    assert make_account(custom_fields={"shelf_m": 4.5, "segment": "retail"}).pk
    assert "shelf_m" in _refused("custom_fields", custom_fields={"shelf_m": "wide"})[0]
    assert "segment" in _refused("custom_fields", custom_fields={"segment": "wholesale"})[0]


def test_required_custom_field_must_be_given(world):
    CustomFieldDefinition.objects.create(key="vat", label="VAT id", kind="text", is_required=True)
    assert "vat" in _refused("custom_fields", custom_fields={})[0]


@pytest.mark.parametrize(
    "hours",
    [{"monday": [["09:00", "17:00"]]}, {"mon": [["17:00", "09:00"]]}, {"mon": [["9", "17"]]},
     {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}, ["09:00"]],
)  # fmt: skip
def test_invalid_opening_hours_are_refused(world, hours):
    _refused("opening_hours", opening_hours=hours)


def test_valid_opening_hours_with_a_lunch_break_are_kept(world):
    hours = {"mon": [["09:00", "13:00"], ["15:00", "19:30"]], "sat": [["10:00", "24:00"]]}
    assert make_account(opening_hours=hours).opening_hours == hours


def test_update_with_a_bad_field_leaves_the_row_untouched(world):
    account = make_account(name="Before")
    with pytest.raises(ValidationError):
        account_update(
            account=account, fields={"name": "After", "location": Point(500, 0, srid=4326)}
        )
    assert Account.objects.get(pk=account.pk).name == "Before"
