"""Documents in Chromium (issue 18): an admin edits the Persian quote template, previews it
as a PDF and saves it; a manager opens a quote and downloads its PDF in Persian, which carries
the admin's words and the quote's own. Plain forms under the Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldcrm.documents.models import DocumentTemplate
from tests.fieldcrm.documents.test_documents import pdf_text, quote  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser

THANKS = "با سپاس از خرید شما"  # "thank you for your purchase" (no lam-alef: see pdf_text)


def test_an_admin_edits_and_previews_the_quote_template_and_a_manager_downloads_it_in_persian(
    laptops,
    quote,  # noqa: F811
):
    admin = laptops("admin", "/crm/settings/documents")
    admin.locator("#template-quote-fa a").click()
    admin.locator("#template-title").wait_for()
    body = admin.locator("#id_body")
    assert "{{ account.name }}" in body.input_value()
    previews: list[bytes] = []

    def keep(route):
        answer = route.fetch()
        previews.append(answer.body())
        route.fulfill(response=answer)

    admin.context.route("**/preview", keep)
    body.fill(body.input_value() + f"\n<p class='thanks'>{THANKS}</p>")
    with admin.context.expect_page() as opened:
        admin.locator("#template-preview").click()
    opened.value.close()
    assert previews and THANKS in pdf_text(previews[0])
    assert not DocumentTemplate.objects.exists()  # a preview saves nothing
    # A typo is refused at the field, with the name, and nothing is saved.
    body.fill(body.input_value() + "{{ account.nmae }}")
    admin.locator("#template-save").click()
    admin.locator("#id_body-error").get_by_text("account.nmae").wait_for()
    assert not DocumentTemplate.objects.exists()
    body.fill(body.input_value().replace("{{ account.nmae }}", ""))
    admin.locator("#template-save").click()
    admin.get_by_text("Template saved.").wait_for()
    assert THANKS in DocumentTemplate.objects.get(kind="quote", language="fa").body

    manager = laptops("manager", f"/crm/orders/{quote.pk}/")
    manager.locator("#order-pdf-language").select_option("fa")
    with manager.expect_download() as download:
        manager.locator("#order-pdf").click()
    assert download.value.suggested_filename == f"{quote.number}-fa.pdf"
    text = pdf_text(Path(download.value.path()).read_bytes())
    for word in (THANKS, quote.number, "مشتری", "محصول", "زعفران سرگل", "Cửa hàng Nguyễn Đức"):
        assert word in text, (word, text)
