"""Document templates: what a quote, an order confirmation or a visit report looks like as a PDF,
one per kind and language. Until an admin saves one, the built-in default applies
(documents.defaults), so a fresh installation prints documents at once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    QUOTE = "quote", _("Quote")
    ORDER = "order_confirmation", _("Order confirmation")
    VISIT = "visit_report", _("Visit report")


class DocumentTemplate(models.Model):
    """An admin's template (Django template syntax, run in documents.sandbox) of one kind in
    one language."""

    Kind = DocumentKind

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    body = models.TextField(_("template"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["kind", "language"]
        verbose_name = _("document template")
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="document_template_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"
