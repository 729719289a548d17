"""E-mail to contacts: a real SMTP server (aiosmtpd) the worker sends to, and the receiver's
own handler on a second loopback port that the tests send replies and bounces to."""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller

from fieldcrm.accounts.models import Contact
from fieldcrm.emails.receiver import InboundHandler
from tests.factories import make_account
from tests.harness.env import free_port
from tests.harness.smtp import smtp_server


@pytest.fixture
def inbox(settings):
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = inbox.host, inbox.port
        settings.EMAIL_TIMEOUT = 5
        yield inbox


@dataclass
class Dropbox:
    host: str
    port: int

    def deliver(self, raw: bytes, *, sender: str = "anna@shop.example") -> None:
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.sendmail(sender, ["crm@localhost"], raw)


@contextlib.contextmanager
def dropbox_server() -> Iterator[Dropbox]:
    """The project's inbound handler (what `manage.py receive_mail` runs) on a free port."""
    box = Dropbox(host="127.0.0.1", port=free_port())
    controller = Controller(InboundHandler(), hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def dropbox(transactional_db) -> Iterator[Dropbox]:
    # The handler logs in a thread of its own (its own connection): the data it matches
    # must be committed, hence a transactional database for the tests that use it.
    with dropbox_server() as box:
        yield box


@pytest.fixture
def shop(world):
    account = make_account("Corner Shop", territory=world.territory_a)
    anna = Contact.objects.create(account=account, name="Anna Nguyen", email="Anna@Shop.example")
    bob = Contact.objects.create(account=account, name="Bob", email="bob@shop.example")
    return account, anna, bob
