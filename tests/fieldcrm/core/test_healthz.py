import os

from django.db import connection


def test_healthz_names_the_spatial_backend_and_its_version(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    expected = "postgis" if connection.vendor == "postgresql" else "spatialite"
    assert body["database"]["backend"] == expected
    assert os.environ.get("FIELDCRM_TEST_BACKEND", expected) == expected
    assert ("PostGIS" if expected == "postgis" else "SpatiaLite") in body["database"]["version"]
