from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class LoginIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)


class MeOut(Schema):
    id: int
    username: str
    role: str
    first_name: str
    last_name: str
    region_ids: list[int]
    territory_ids: list[int]
    landing_url: str


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret: shown once, keep it safe.")
