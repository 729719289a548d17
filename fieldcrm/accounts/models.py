"""Accounts (leads, prospects, customers), their contacts and interaction history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from fieldcrm.accounts import matching, rules
from fieldcrm.audit.tracking import Audited
from fieldcrm.core.geo import validate_point
from fieldcrm.core.models import CleanText, SyncedModel
from fieldcrm.geocoding.models import NEEDS_REVIEW, GeocodeQuality


class CustomFieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    BOOLEAN = "boolean", _("Yes/no")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CustomFieldDefinition(CleanText, models.Model):
    """A field an admin adds to accounts; values live in ``Account.custom_fields``."""

    # The choices are module-level classes: each gets its own name in the OpenAPI schema.
    Kind = CustomFieldKind

    key = models.SlugField(_("key"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    is_required = models.BooleanField(_("required"), default=False)
    # A number field's range (either end open); existing values outside a range set later are
    # reported when the account is next saved, like a field made required later.
    min_value = models.FloatField(_("minimum"), null=True, blank=True)
    max_value = models.FloatField(_("maximum"), null=True, blank=True)
    # A deactivated field is offered nowhere (columns, rules, required checks) but its values
    # stay on the accounts, on their pages and in exports, and come back when reactivated.
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.kind == self.Kind.CHOICE and (
            not isinstance(self.choices, list) or not self.choices
        ):
            raise ValidationError({"choices": _("A choice field needs a list of choices.")})
        if self.kind == self.Kind.CHOICE and len(set(map(str, self.choices))) != len(self.choices):
            raise ValidationError({"choices": _("Each choice may appear only once.")})
        if self.kind != self.Kind.NUMBER and (self.min_value, self.max_value) != (None, None):
            raise ValidationError({"min_value": _("Only a number field has a range.")})
        if None not in (self.min_value, self.max_value) and self.min_value > self.max_value:  # type: ignore[operator]
            raise ValidationError({"max_value": _("The maximum is below the minimum.")})

    def problem_with(self, value: Any) -> str | None:
        """Why ``value`` does not fit this field, or None when it does."""
        if value is None:
            return None
        if self.kind == self.Kind.TEXT and not isinstance(value, str):
            return _gettext("Expected text.")
        if self.kind == self.Kind.NUMBER and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            return _gettext("Expected a number.")
        if self.kind == self.Kind.NUMBER and self.min_value is not None and value < self.min_value:
            return _gettext("Expected at least %(min)s.") % {"min": f"{self.min_value:g}"}
        if self.kind == self.Kind.NUMBER and self.max_value is not None and value > self.max_value:
            return _gettext("Expected at most %(max)s.") % {"max": f"{self.max_value:g}"}
        if self.kind == self.Kind.BOOLEAN and not isinstance(value, bool):
            return _gettext("Expected true or false.")
        if self.kind == self.Kind.DATE:
            try:
                dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                return _gettext("Expected a date as YYYY-MM-DD.")
        if self.kind == self.Kind.CHOICE and value not in self.choices:
            return _gettext("Expected one of: %(choices)s.") % {
                "choices": ", ".join(map(str, self.choices))
            }
        return None


class Tag(CleanText, models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccountStatus(models.TextChoices):
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CHURNED = "churned", _("Churned")


class AccountTier(models.TextChoices):
    A = "A", _("A (key)")
    B = "B", _("B")
    C = "C", _("C")


class DuplicateReason(models.TextChoices):
    """Why an account may be a duplicate of another (matching.py states the rule)."""

    EMAIL = "email", _("same e-mail")
    PHONE = "phone", _("same phone")
    NAME = "name", _("similar name nearby")


class AccountMergeField(models.TextChoices):
    """What the person merging two accounts chooses between, field by field; the rest is
    combined (contacts, deals, visits, tasks and the whole timeline move; tags join; custom
    fields join with the kept account's values first; the later last visit stands)."""

    NAME = "name", _("name")
    STATUS = "status", _("status")
    TIER = "tier", _("tier")
    OWNER = "owner", _("owner")
    ADDRESS = "address", _("address")
    LOCATION = "location", _("location")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("email")
    WEBSITE = "website", _("website")
    PRIORITY = "priority", _("priority")
    VISIT_FREQUENCY_DAYS = "visit_frequency_days", _("desired visit frequency (days)")
    OPENING_HOURS = "opening_hours", _("opening hours")


class Account(Audited, SyncedModel):
    # The choices are module-level classes: each gets its own name in the OpenAPI schema.
    Status = AccountStatus
    Tier = AccountTier
    MergeField = AccountMergeField
    Duplicate = DuplicateReason
    GeocodeQuality = GeocodeQuality
    # What the audit keeps (fieldcrm/audit): the fields people change, not the derived ones.
    AUDIT_TYPE = "account"
    AUDITED = (
        "name", "status", "tier", "owner", "territory", "address", "location", "phone", "email",
        "website", "priority", "visit_frequency_days", "opening_hours", "custom_fields",
        "deleted_at",
    )  # fmt: skip

    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.LEAD, db_index=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    location = models.PointField(
        _("location"), srid=4326, null=True, blank=True, validators=[validate_point]
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
    )
    # Derived from location by point-in-polygon (accounts.services); never typed by hand.
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
        editable=False,
    )
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, default=Tier.B)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    visit_frequency_days = models.PositiveSmallIntegerField(
        _("desired visit frequency (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    opening_hours = models.JSONField(
        _("opening hours"), default=dict, blank=True, validators=[rules.validate_opening_hours]
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="accounts")
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=120, blank=True)
    external_id = models.CharField(
        _("external id"), max_length=120, null=True, blank=True, unique=True
    )
    # How a geocoder placed this account from its address (web form, import); blank when the
    # location came from a person, a GPS fix or a file's coordinates. Place and none are
    # flagged for review in the workspace.
    geocode_quality = models.CharField(
        _("location found from the address"), max_length=16, blank=True, default="",
        choices=GeocodeQuality.choices,
    )  # fmt: skip
    last_visited_at = models.DateTimeField(_("last visited"), null=True, blank=True)
    # last visit + frequency, kept by save(): "due for a visit" is then one indexed comparison.
    visit_due_at = models.DateTimeField(_("visit due"), null=True, blank=True, editable=False)
    email_key = models.CharField(max_length=254, blank=True, default="", editable=False)
    phone_key = models.CharField(max_length=16, blank=True, default="", editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["email_key"], name="account_email_key"),
            models.Index(fields=["phone_key"], name="account_phone_key"),
            models.Index(fields=["updated_at"]),
            models.Index(fields=["territory", "status"]),
            # A pull reads "changed since N" within the caller's scope: index lookups on
            # (scope key, change_seq), never a scan of everyone's changes (issue 22).
            models.Index(fields=["territory", "change_seq"], name="account_sync_territory"),
            models.Index(fields=["owner", "change_seq"], name="account_sync_owner"),
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As loaded: the status lets clean() judge the transition; territory and owner let
        # sync notice an account leaving someone's scope (fieldcrm/sync/signals.py).
        self._loaded_status = None if self._state.adding else self.status
        self._loaded_scope = None if self._state.adding else (self.territory_id, self.owner_id)
        self._loaded_custom_fields = None if self._state.adding else dict(self.custom_fields or {})
        self._loaded_location = None if self._state.adding else self.location

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, **kwargs: Any) -> Account:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_status = instance.__dict__.get("status")
        instance._loaded_custom_fields = dict(instance.__dict__.get("custom_fields") or {})
        instance._loaded_location = instance.__dict__.get("location")
        instance._loaded_scope = (
            instance.__dict__.get("territory_id"),
            instance.__dict__.get("owner_id"),
        )
        return instance

    def __str__(self) -> str:
        return self.name

    @property
    def location_needs_review(self) -> bool:
        """The geocoder found only the town, or nothing: a person should place it."""
        return self.geocode_quality in NEEDS_REVIEW

    def clean(self) -> None:
        super().clean()
        rules.check_transition(self._loaded_status, self.status)
        loaded = self._loaded_custom_fields
        values = self.custom_fields if isinstance(self.custom_fields, dict) else {}
        changed = None
        if loaded is not None:
            changed = {k for k in {*values, *loaded} if values.get(k) != loaded.get(k)}
        if changed == set() and not values:
            return  # an edit that leaves no custom field, and changes none: nothing to check
        rules.validate_custom_fields(
            self.custom_fields, CustomFieldDefinition.objects.all(), required=changed
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self._loaded_status = self.status
        self._loaded_custom_fields = dict(self.custom_fields or {})
        self._loaded_location = self.location

    def refresh_derived(self) -> tuple[str, ...]:
        self.visit_due_at = self.next_visit_due()
        # The duplicate rule's indexed keys (matching.py): found without a scan.
        self.email_key = matching.email_key(self.email)
        self.phone_key = matching.phone_key(self.phone)
        return ("visit_due_at", "email_key", "phone_key")

    def next_visit_due(self) -> dt.datetime | None:
        """When the desired frequency calls for the next visit (now-ish if never visited)."""
        if not self.visit_frequency_days:
            return None
        if self.last_visited_at is None:
            return self.created_at
        return self.last_visited_at + dt.timedelta(days=self.visit_frequency_days)


class Contact(Audited, SyncedModel):  # type: ignore[misc]  # from_db: Audited wraps it
    AUDIT_TYPE = "contact"
    AUDITED = ("account", "name", "role", "phone", "email", "notes", "is_primary", "deleted_at")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    # The phone's key (matching.phone_key), so a caller's number finds its contact without a
    # scan (integrations: PBX calls and messenger senders).
    phone_key = models.CharField(max_length=16, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-is_primary", "name"]
        indexes = [
            models.Index(fields=["account", "change_seq"], name="contact_sync_account"),
            models.Index(fields=["phone_key"], name="contact_phone_key"),
        ]

    def __str__(self) -> str:
        return self.name

    def refresh_derived(self) -> tuple[str, ...]:
        self.phone_key = matching.phone_key(self.phone)
        return ("phone_key",)


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    VISIT = "visit", _("Visit")
    NOTE = "note", _("Note")
    MEETING = "meeting", _("Meeting")
    SYSTEM = "system", _("System")
    # Written by the services whenever they change an account's status or owner, or move a
    # deal: never logged by hand (LOGGABLE_KINDS).
    STATUS_CHANGE = "status_change", _("Status change")
    OWNER_CHANGE = "owner_change", _("Owner change")
    DEAL_MOVE = "deal_move", _("Deal move")
    # A messenger message in or out (integrations): written by the webhook and the reply.
    MESSAGE = "message", _("Message")


# What a person may log (the API, the phone, the workspace's quick actions); the other kinds
# are history the services record.
LOGGABLE_KINDS = (
    ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.VISIT, ActivityKind.NOTE,
    ActivityKind.MEETING,
)  # fmt: skip


class Activity(SyncedModel):
    """One interaction in an account's history. Append-only from the phone."""

    # The choices are module-level classes: each gets its own name in the OpenAPI schema.
    Kind = ActivityKind

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("details"), blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    visit = models.ForeignKey(
        "visits.Visit", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    # A recorded change, as data, so each reader sees it in their own language: status and
    # owner changes ``{"old": ..., "new": ...}`` (codes, user ids and names at the time).
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "id"]
        verbose_name_plural = _("activities")
        indexes = [models.Index(fields=["account", "change_seq"], name="activity_sync_account")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject or self.account}"
