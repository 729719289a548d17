"""Shapes of the phones' offline address indexes."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field


class AddressIndexRef(Schema):
    territory_id: int
    name: str
    version: str = Field(description="Changes when the index is rebuilt or the boundary moves")


class AddressIndexListOut(Schema):
    items: list[AddressIndexRef]


class AddressIndexOut(Schema):
    territory_id: int
    version: str
    names: list[list[str]] = Field(description="[street, town] pairs the rows point at")
    addresses: list[list[Any]] = Field(
        description="[name index, house number, lat·1e5, lng·1e5] per address"
    )
    streets: list[list[Any]] = Field(
        description="[name index, [lat·1e5, lng·1e5, …]] per street way"
    )
    truncated: bool = Field(description="The territory holds more than the phone's budget")
    bytes: int = Field(description="Size of the index as JSON (at most 5 MB)")
