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
