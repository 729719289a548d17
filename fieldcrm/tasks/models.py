"""A rep's to-dos ("time to call"). Background Celery work is a *job*, not a Task."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.models import SyncedModel


class TaskKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    # A planned meeting: from ``due_at`` to ``ends_at``, somewhere, with attendees (issue 17).
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")


class Task(SyncedModel):
    # The choices are module-level classes: each gets its own name in the OpenAPI schema.
    Kind = TaskKind

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CALL)
    notes = models.TextField(_("notes"), blank=True)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    # A task may also name the contact or deal it is about; its account is then theirs, so
    # it is seen exactly where that account is (access.py needs no rule of its own).
    contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_tasks",
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # A meeting's end, place and the people invited besides its assignee (meetings only).
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=300, blank=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendees"),
        blank=True,
        related_name="meetings",
    )

    class Meta:
        ordering = ["due_at", "id"]
        # The pull's lookups (issue 22): the assignee's tasks, and those of an account.
        indexes = [
            models.Index(fields=["assignee", "change_seq"], name="task_sync_assignee"),
            models.Index(fields=["account", "change_seq"], name="task_sync_account"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.ends_at is None:
            return
        if self.due_at is None:
            raise ValidationError({"ends_at": _("Set a start (due) before an end.")})
        if self.ends_at <= self.due_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
