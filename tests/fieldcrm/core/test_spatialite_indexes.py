"""After migrations that rebuild tables, SpatiaLite's R*Trees still follow their tables."""

import pytest
from django.db import connection

from fieldcrm.accounts.models import Account
from fieldcrm.core import geo
from fieldcrm.core.spatialite import disabled_spatial_indexes, wanted_spatial_indexes
from tests.factories import make_account

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SpatiaLite housekeeping only"
)


def test_every_wanted_spatial_index_is_enabled_after_migrate(db):
    assert ("accounts_account", "location") in wanted_spatial_indexes()
    assert disabled_spatial_indexes() == set()


def test_the_rtree_sees_new_and_moved_rows(world):
    account = make_account(lng=1.05, lat=42.05)
    hits = geo.within_radius(Account.objects.all(), lat=42.05, lng=1.05, radius_m=100)
    assert list(hits) == [account]
