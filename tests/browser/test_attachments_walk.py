"""Attachments in Chromium (issue 18): a rep attaches a PDF from an account's page under the
Content-Security-Policy, sees it listed and downloads it; a renamed program is refused with
the message at the field, and nothing is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldcrm.attachments.models import Attachment
from tests.factories import make_account

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.7\n% a small file\n"


def test_a_rep_attaches_a_file_to_an_account_and_downloads_it(laptops, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    account = make_account("Alpha", lng=1.02, lat=42.02)
    page = laptops("rep1", f"/crm/accounts/{account.pk}/")
    page.locator("#files-empty").wait_for()
    page.locator("#file-input").set_input_files(
        files=[{"name": "Đơn hàng.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.locator("#file-submit").click()
    page.get_by_text("Đơn hàng.pdf attached.").wait_for()
    link = page.locator("#file-list a")
    assert link.all_inner_texts() == ["Đơn hàng.pdf"]
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == PDF
    assert download.value.suggested_filename == "Đơn hàng.pdf"

    page.locator("#file-input").set_input_files(
        files=[{"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00"}]
    )
    page.locator("#file-submit").click()
    page.locator("#file-error").get_by_text("not a .pdf").wait_for()
    assert Attachment.objects.count() == 1
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
