from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from fieldcrm.core.schemas import Input, Instant
from fieldcrm.users.models import ApiToken


class LoginIn(Input):
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


class TokenIn(Input):
    name: str = Field(min_length=1, max_length=100)
    expires_at: Instant | None = Field(
        default=None, description="When the token stops working (at most a year ahead)."
    )


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None = Field(
        description="When it stopped working: revoked, or the password changed."
    )
    status: str = Field(description="active, expired or revoked")
    revoked_reason: str | None = Field(
        description="token_revoked, password_changed or revoked (the user's access)"
    )

    @staticmethod
    def resolve_status(obj: ApiToken) -> str:
        dead = obj.dead_since()
        if dead is None:
            return "active"
        return "expired" if dead[0] == "token_expired" else "revoked"

    @staticmethod
    def resolve_revoked_at(obj: ApiToken) -> dt.datetime | None:
        dead = obj.dead_since()
        return None if dead is None or dead[0] == "token_expired" else dead[1]

    @staticmethod
    def resolve_revoked_reason(obj: ApiToken) -> str | None:
        dead = obj.dead_since()
        return None if dead is None or dead[0] == "token_expired" else dead[0]


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret: shown once, keep it safe.")

    @staticmethod
    def resolve_token(obj: ApiToken) -> str | None:
        return obj.secret


# --- User and custom-field management (/api/v1/users, /api/v1/custom-fields) ---------------
# Used by fieldcrm/users/api_manage.py only.

from typing import Any  # noqa: E402

from pydantic import EmailStr  # noqa: E402

from fieldcrm.accounts.models import CustomFieldDefinition, CustomFieldKind  # noqa: E402
from fieldcrm.core.schemas import LatLng, LocalTime  # noqa:E402
from fieldcrm.users.models import User, UserRole  # noqa: E402


class UserManageBase(Input):
    first_name: str | None = Field(default=None, max_length=150)
    last_name: str | None = Field(default=None, max_length=150)
    email: EmailStr | None = None
    is_active: bool | None = None
    region_ids: list[int] | None = Field(default=None, max_length=100)
    home_base: LatLng | None = None
    shift_start: LocalTime | None = None
    shift_end: LocalTime | None = None
    break_start: LocalTime | None = None
    break_end: LocalTime | None = None
    break_minutes: int | None = Field(default=None, ge=0, le=480)
    working_days: list[int] | None = Field(default=None, max_length=7)
    max_visits_per_day: int | None = Field(default=None, ge=1, le=100)


# Passwords are judged by AUTH_PASSWORD_VALIDATORS (users.services.password_check), whose
# messages name what is wrong; the schema bounds only the size.
class UserIn(UserManageBase):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str | None = Field(default=None, max_length=256)
    role: UserRole = User.Role.REP


class UserPatch(UserManageBase):
    password: str | None = Field(default=None, max_length=256)
    role: UserRole | None = None


class RevokeAccessOut(Schema):
    user_id: int
    access_revoked_at: dt.datetime
    tokens_revoked: int


class ReassignAccountsIn(Input):
    to_user_id: int | None = Field(description="The new owner (a user in your scope), or null")


class ReassignAccountsOut(Schema):
    reassigned: int


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    is_active: bool
    region_ids: list[int]
    territory_ids: list[int]
    home_base: LatLng | None
    shift_start: LocalTime
    shift_end: LocalTime
    break_start: LocalTime | None
    break_end: LocalTime | None
    break_minutes: int
    working_days: list[int]
    max_visits_per_day: int

    @staticmethod
    def resolve_region_ids(obj: User) -> list[int]:
        return sorted(r.pk for r in obj.regions.all())

    @staticmethod
    def resolve_territory_ids(obj: User) -> list[int]:
        return sorted(t.pk for t in obj.territories.all())

    @staticmethod
    def resolve_home_base(obj: User) -> dict[str, float] | None:
        return LatLng.from_point(obj.home_base)


class UserFilters(Input):
    role: UserRole | None = None
    region: int | None = Field(default=None, description="Member of, or rep in, this region")
    q: str | None = Field(default=None, max_length=100, description="Text in username or name")


class CustomFieldIn(Input):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")
    label: str = Field(min_length=1, max_length=120)
    kind: CustomFieldKind = CustomFieldDefinition.Kind.TEXT
    choices: list[Any] = Field(default_factory=list, max_length=200)
    is_required: bool = False
    min_value: float | None = None
    max_value: float | None = None


class CustomFieldPatch(Input):
    label: str | None = Field(default=None, min_length=1, max_length=120)
    kind: CustomFieldKind | None = None
    choices: list[Any] | None = Field(default=None, max_length=200)
    is_required: bool | None = None
    min_value: float | None = None
    max_value: float | None = None


class CustomFieldOut(Schema):
    id: int
    key: str
    label: str
    kind: str
    choices: list[Any]
    is_required: bool
    min_value: float | None
    max_value: float | None
    is_active: bool = Field(
        default=True, description="A deactivated field keeps its values but is offered nowhere."
    )
    missing_count: int = Field(
        default=0, description="Required only: your accounts that have no value for it yet."
    )
