"""Read Solomon / Gehring & Homberger VRPTW instances (VRPLIB ``.vrp`` or Solomon ``.txt``).

The DIMACS convention is kept exactly by scaling: every time is ×10 and the planar provider
truncates ``10 · euclid`` to an integer, so our integer seconds/metres are tenths of the
instance's units. Customer k (1..n) becomes stop id ``"k"``; the depot is the reps' start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from routing.matrix import PlanarProvider
from routing.model import Location, Objective, Problem, Stop, TimeWindow, Vehicle

SCALE = 10


@dataclass(frozen=True)
class Instance:
    name: str
    problem: Problem
    fleet_size: int
    capacity: int


def read_instance(path: str | Path) -> Instance:
    path = Path(path)
    text = path.read_text()
    if path.suffix == ".vrp":
        name, fleet, capacity, rows = _parse_vrp(text)
    else:
        name, fleet, capacity, rows = _parse_solomon(text)
    return Instance(name, to_problem(rows, fleet=fleet, capacity=capacity), fleet, capacity)


def to_problem(
    rows: list[tuple[float, float, int, int, int, int]], *, fleet: int, capacity: int
) -> Problem:
    """``rows``: depot first, then customers 1..n, each (x, y, demand, ready, due, service)."""
    x0, y0, _, ready0, due0, _ = rows[0]
    depot = Location(lat=y0, lon=x0)
    vehicles = tuple(
        Vehicle(
            id=f"v{i + 1}",
            start=depot,
            shift=TimeWindow(SCALE * ready0, SCALE * due0),
            capacity=capacity,
        )
        for i in range(fleet)
    )
    stops = tuple(
        Stop(
            id=str(k),
            location=Location(lat=y, lon=x),
            service_s=SCALE * service,
            windows=(TimeWindow(SCALE * ready, SCALE * due),),
            demand=demand,
            required=True,
        )
        for k, (x, y, demand, ready, due, service) in enumerate(rows[1:], start=1)
    )
    return Problem(
        vehicles=vehicles, stops=stops, provider=PlanarProvider(SCALE), objective=Objective.DISTANCE
    )


def _parse_vrp(text: str) -> tuple[str, int, int, list[tuple[float, float, int, int, int, int]]]:
    header: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if ":" in line and current is None or re.match(r"^[A-Z_]+\s*:", line):
            key, _, value = line.partition(":")
            header[key.strip()] = value.strip()
            current = None
        elif line.endswith("_SECTION"):
            current = line
            sections[current] = []
        elif current is not None:
            sections[current].append(line.split())
    n = int(header["DIMENSION"])
    coords = {int(r[0]): (float(r[1]), float(r[2])) for r in sections["NODE_COORD_SECTION"]}
    demand = {int(r[0]): int(r[1]) for r in sections.get("DEMAND_SECTION", [])}
    windows = {int(r[0]): (int(r[1]), int(r[2])) for r in sections["TIME_WINDOW_SECTION"]}
    if "SERVICE_TIME_SECTION" in sections:
        service = {int(r[0]): int(r[1]) for r in sections["SERVICE_TIME_SECTION"]}
    else:
        uniform = int(header.get("SERVICE_TIME", "0"))
        service = {i: (0 if i == 1 else uniform) for i in range(1, n + 1)}
    depot = int(sections.get("DEPOT_SECTION", [["1"]])[0][0])
    if depot != 1:
        raise ValueError("only instances with the depot as node 1 are supported")
    rows = [
        (coords[i][0], coords[i][1], demand.get(i, 0), windows[i][0], windows[i][1], service[i])
        for i in range(1, n + 1)
    ]
    return header["NAME"], int(header["VEHICLES"]), int(header["CAPACITY"]), rows


def _parse_solomon(
    text: str,
) -> tuple[str, int, int, list[tuple[float, float, int, int, int, int]]]:
    lines = [line.split() for line in text.splitlines()]
    name = lines[0][0].upper() if lines and lines[0] else "?"
    numbers = [row for row in lines if row and all(_is_number(x) for x in row)]
    fleet, capacity = int(numbers[0][0]), int(numbers[0][1])
    rows = [
        (float(r[1]), float(r[2]), int(r[3]), int(r[4]), int(r[5]), int(r[6]))
        for r in numbers[1:]
        if len(r) == 7
    ]
    return name, fleet, capacity, rows


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def read_solution(path: str | Path) -> tuple[list[list[int]], float]:
    """A ``.sol`` file: ``Route #i: k k k`` lines and ``Cost X``."""
    routes, cost = [], float("nan")
    for line in Path(path).read_text().splitlines():
        if line.startswith("Route"):
            routes.append([int(x) for x in line.split(":", 1)[1].split()])
        elif line.startswith("Cost"):
            cost = float(line.split()[1])
    return routes, cost
