"""Region North moved onto Andorra la Vella's centre, where the committed extract has
house numbers: territory A (rep1) the west half, B (rep2) the east half."""

from __future__ import annotations

import pytest

from tests.factories import square

WEST, SOUTH, EAST, NORTH = 1.515, 42.500, 1.535, 42.512
MIDDLE = (WEST + EAST) / 2
# Known doors in the extract (OSM nodes with addr:*), west and east of MIDDLE.
WEST_DOOR = ("Carrer de la Vall 3, Andorra la Vella", 42.5072, 1.5198)
EAST_DOOR = ("Avinguda Meritxell 92, AD500 Andorra la Vella", 42.50796, 1.53043)


def move_north_to_andorra(world):
    world.north.boundary = square(WEST, SOUTH, EAST, NORTH)
    world.north.save()
    for territory, box in ((world.territory_a, (WEST, SOUTH, MIDDLE, NORTH)),
                           (world.territory_b, (MIDDLE, SOUTH, EAST, NORTH))):  # fmt: skip
        territory.boundary = square(*box)
        territory.save()
    return world


@pytest.fixture
def andorra(world):
    return move_north_to_andorra(world)
