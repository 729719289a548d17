"""Web forms on other sites that send us leads."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The inputs a form may offer, in the order it shows them (LeadIn's fields; the honeypot is
# always there, hidden). Stored as names, so labels follow the visitor's language.
LEAD_FIELDS = (
    ("name", _("Your name")),
    ("company", _("Company")),
    ("email", _("E-mail")),
    ("phone", _("Phone")),
    ("address", _("Address")),
    ("message", _("Message")),
)
LEAD_FIELD_NAMES = tuple(name for name, _label in LEAD_FIELDS)


def default_fields() -> list[str]:
    return ["name", "company", "email", "phone", "message"]


def new_token() -> str:
    """An unguessable token for the form's public URL (32 random bytes)."""
    return secrets.token_urlsafe(32)


class WebForm(models.Model):
    """A lead form embedded on some web site; it posts to /api/v1/leads/forms/<token>.

    The token is stored as is, not hashed: it is published in the HTML of the site that hosts
    the form, so it is an address, not a password; admins must be able to show it again, and
    rotating it (admin action) is the way to cut off a leaked or abused form.
    """

    name = models.CharField(_("name"), max_length=100, help_text=_("Shown in the lead's source."))
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    is_active = models.BooleanField(_("active"), default=True)
    region = models.ForeignKey(
        "territories.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="web_forms",
        help_text=_("The region whose managers see and manage this form."),
    )
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Owner of the new leads (else they follow their territory, if located)."),
    )
    allowed_origins = models.TextField(
        _("allowed origins"),
        blank=True,
        help_text=_(
            "One origin per line (https://shop.example.com). When set, posts from other "
            "origins are refused and browsers get CORS headers for these. Empty = any origin."
        ),
    )
    fields = models.JSONField(
        _("fields offered"), default=default_fields, blank=True,
        help_text=_("The inputs the form shows, from name, company, e-mail, phone, address and "
                    "message; a lead needs a name or a company."),
    )  # fmt: skip
    territory = models.ForeignKey(
        "territories.Territory", verbose_name=_("territory"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("Where a lead goes when its address could not be located (a located lead "
                    "goes to the territory holding it)."),
    )  # fmt: skip
    tags = models.JSONField(_("tags"), default=list, blank=True,
                            help_text=_("Tags every lead from this form gets."))  # fmt: skip
    thank_you = models.TextField(
        _("thank-you text"), blank=True, max_length=1000,
        help_text=_("Shown after a visitor sends the form (empty: a standard sentence)."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("web form")

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.splitlines() if o.strip()]

    @property
    def source(self) -> str:
        # Stored data, so not translated: reports and filters match on it.
        return f"web form: {self.name}"[:120]
