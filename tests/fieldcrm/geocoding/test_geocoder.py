"""The embedded geocoder: its index built from the committed OSM extracts, and forward
geocoding with a match quality. No database: the index is a file."""

from __future__ import annotations

import sqlite3

import pytest
from django.core.management import CommandError, call_command

from fieldcrm.core.errors import DomainError
from fieldcrm.geocoding import embedded
from fieldcrm.geocoding.index import geocoder_build, words
from fieldcrm.geocoding.models import GeocodeQuality
from fieldcrm.search.text import fold
from tests.conftest import OSM_EXTRACTS

Q = GeocodeQuality


def locate(path, address):
    return embedded.geocode(path, address)


def test_the_index_holds_addresses_streets_and_places_of_both_extracts(geocoder_file):
    db = sqlite3.connect(geocoder_file)
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
              for t in ("address", "street", "place")}  # fmt: skip
    assert counts["address"] > 500 and counts["street"] > 1000 and counts["place"] > 100
    helsinki = db.execute("SELECT count(*) FROM address WHERE lat > 60").fetchone()[0]
    assert helsinki > 300  # the second extract is in too


def test_names_are_folded_by_the_search_apps_function():
    assert words("Plaça del Consell") == fold("placa del consell")
    assert words("Nguyễn Thị Đào") == fold("Nguyen Thi Dao")
    assert words("Carretera d'Engolasters") == "carretera d engolasters"


@pytest.mark.parametrize(
    ("address", "quality", "label"),
    [
        ("Avinguda Meritxell 92, Andorra la Vella", Q.HOUSE_NUMBER,
         "Avinguda Meritxell 92, Andorra la Vella"),
        # Accents and case folded as search does; the town without a comma; a postcode.
        ("PLACA DEL CONSELL 10 ENCAMP", Q.HOUSE_NUMBER, "Plaça del Consell 10, Encamp"),
        ("avda. Meritxell, 88, AD500 Andorra la Vella", Q.HOUSE_NUMBER,
         "Avinguda Meritxell 88, Andorra la Vella"),
        # 87 is in the range 87-89.
        ("Avinguda Meritxell 87", Q.HOUSE_NUMBER, "Avinguda Meritxell 87-89, Andorra la Vella"),
        ("Mannerheimintie 5, 00100 Helsinki", Q.HOUSE_NUMBER, "Mannerheimintie 5, Helsinki"),
        # A typo in the street name (FTS5 trigram candidates).
        ("Avinguda Meritxel 92", Q.HOUSE_NUMBER, "Avinguda Meritxell 92, Andorra la Vella"),
        # A number the index does not know: the street.
        ("Avinguda Meritxell 999, Andorra la Vella", Q.STREET,
         "Avinguda Meritxell, Andorra la Vella"),
        ("Encamp, Andorra", Q.PLACE, "Encamp"),
        ("Nowhere Street 3, Gotham", Q.NONE, ""),
        ("", Q.NONE, ""),
    ],
)  # fmt: skip
def test_forward_geocoding_says_how_precisely_it_found_the_address(
    geocoder_file, address, quality, label
):
    match = locate(geocoder_file, address)
    assert (match.quality, match.label) == (quality, label)
    assert match.found == (quality != Q.NONE)


def test_a_house_number_is_placed_at_its_door(geocoder_file):
    match = locate(geocoder_file, "Avinguda Meritxell 92, Andorra la Vella")
    assert abs(match.lat - 42.50796) < 1e-4 and abs(match.lng - 1.53043) < 1e-4


def test_the_town_decides_between_streets_of_the_same_name(geocoder_file):
    # "Carrer Major" exists in several parishes; the town named picks one.
    massana = locate(geocoder_file, "Carrer Major, La Massana")
    assert massana.quality == Q.STREET and massana.label.endswith("La Massana")


def test_a_missing_index_is_a_geocode_error(tmp_path):
    with pytest.raises(embedded.GeocodeError, match="build_geocoder"):
        locate(tmp_path / "none.sqlite", "Carrer Major 3")


def test_a_failed_build_leaves_the_old_index_in_place(tmp_path, geocoder_file):
    output = tmp_path / "geocoder.sqlite"
    output.write_bytes(geocoder_file.read_bytes())
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"not an extract")
    with pytest.raises(DomainError):
        geocoder_build(sources=[broken], output=output)
    assert output.read_bytes() == geocoder_file.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_a_rebuilt_index_is_picked_up_without_a_restart(tmp_path):
    output = tmp_path / "geocoder.sqlite"
    geocoder_build(sources=[OSM_EXTRACTS[1]], output=output)  # Helsinki only
    assert locate(output, "Avinguda Meritxell 92").quality == Q.NONE
    geocoder_build(sources=OSM_EXTRACTS, output=output)
    assert locate(output, "Avinguda Meritxell 92").quality == Q.HOUSE_NUMBER


def test_build_geocoder_command_reports_progress_and_counts(tmp_path, capsys):
    output = tmp_path / "index.sqlite"
    call_command("build_geocoder", str(OSM_EXTRACTS[0]), "--output", str(output))
    out = capsys.readouterr().out
    assert "[1/2] reading andorra.osm.pbf" in out and "writing the index" in out
    assert f"Wrote {output}" in out and "addresses" in out
    with pytest.raises(CommandError, match="no such file"):
        call_command("build_geocoder", str(tmp_path / "missing.osm.pbf"))


@pytest.mark.parametrize(
    ("address", "label", "lat", "lng"),
    [
        # Multipolygon relations in the Helsinki extract (a building with a courtyard):
        # relation 1693090 and relation 6065, both building=* with their address on the
        # relation only, placed at the mean of their outer ring.
        ("Kasarmikatu 25, Helsinki", "Kasarmikatu 25, Helsinki", 60.16656, 24.94835),
        ("Unioninkatu 33b, 00170 Helsinki", "Unioninkatu 33b, Helsinki", 60.17220, 24.95108),
        ("Korkeavuorenkatu 26, Helsinki", "Korkeavuorenkatu 26, Helsinki", 60.16511, 24.94526),
    ],
)
def test_an_address_on_a_multipolygon_relation_is_found_at_its_building(
    geocoder_file, address, label, lat, lng
):
    match = locate(geocoder_file, address)
    assert (match.quality, match.label) == (Q.HOUSE_NUMBER, label)
    assert abs(match.lat - lat) < 1e-4 and abs(match.lng - lng) < 1e-4


# Neither committed extract has an addr:interpolation way (checked with pyosmium: Andorra
# and central Helsinki map their doors one by one), so the interpolation is tried on a small
# extract written here in OSM XML: a street of even numbers 2-10 whose middle node bends it.
INTERPOLATED_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="tests">
  <node id="1" version="1" lat="42.5000" lon="1.5000">
    <tag k="addr:housenumber" v="2"/><tag k="addr:street" v="Carrer de Prova"/>
    <tag k="addr:city" v="Provaville"/>
  </node>
  <node id="2" version="1" lat="42.5010" lon="1.5000"/>
  <node id="3" version="1" lat="42.5010" lon="1.5010">
    <tag k="addr:housenumber" v="10"/><tag k="addr:street" v="Carrer de Prova"/>
    <tag k="addr:city" v="Provaville"/>
  </node>
  <node id="4" version="1" lat="42.5020" lon="1.5010">
    <tag k="addr:housenumber" v="7"/><tag k="addr:street" v="Carrer de Prova"/>
  </node>
  <node id="5" version="1" lat="42.5002" lon="1.5001">
    <tag k="addr:housenumber" v="4"/><tag k="addr:street" v="Carrer de Prova"/>
    <tag k="addr:city" v="Provaville"/>
  </node>
  <node id="9" version="1" lat="42.5005" lon="1.5005">
    <tag k="place" v="town"/><tag k="name" v="Provaville"/>
  </node>
  <way id="10" version="1">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="addr:interpolation" v="even"/>
  </way>
  <way id="11" version="1">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name" v="Carrer de Prova"/>
  </way>
  <way id="12" version="1">
    <nd ref="3"/><nd ref="4"/>
    <tag k="addr:interpolation" v="alphabetic"/>
  </way>
</osm>
"""


def test_a_number_on_an_interpolation_line_is_placed_along_it(tmp_path):
    source = tmp_path / "prova.osm"
    source.write_text(INTERPOLATED_OSM, encoding="utf-8")
    index = tmp_path / "geocoder.sqlite"
    counts = geocoder_build(sources=[source], output=index)
    # 6 and 8 between 2 and 10 (even); 4 is a real door and keeps its own place; the
    # alphabetic line gives nothing.
    assert counts["interpolated"] == 2
    # The line is 111 m north then 82 m east (193 m): 6 is half way (97 m, before the bend),
    # 8 three quarters of the way (145 m: 34 m east of the bend).
    six = locate(index, "Carrer de Prova 6, Provaville")
    assert (six.quality, six.label) == (Q.HOUSE_NUMBER, "Carrer de Prova 6, Provaville")
    assert abs(six.lat - 42.50087) < 1e-5 and six.lng == 1.5
    eight = locate(index, "Carrer de Prova 8")
    assert eight.lat == 42.501 and abs(eight.lng - 1.50041) < 1e-5
    four = locate(index, "Carrer de Prova 4")
    assert (four.lat, four.lng) == (42.5002, 1.5001)
    # An odd number on an even line is no door: the street, at its nearest known number.
    assert locate(index, "Carrer de Prova 5").quality == Q.STREET
