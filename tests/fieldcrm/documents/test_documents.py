"""Documents from templates (issue 18): quotes rendered to PDF in en, vi and fa and read back
with poppler's pdftotext; PDFs seen exactly where their order or visit is; templates checked
in the sandbox before they are saved. The first page of each quote is kept as a PNG under
test-artifacts/documents/ (pdftoppm)."""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from fieldcrm.documents.models import DocumentTemplate
from fieldcrm.orders.models import Order, PriceList, Product
from fieldcrm.visits.models import Visit
from tests.factories import make_account

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "documents"
# pdftotext writes a Persian run with bidi embedding marks around it.
MARKS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u200e\u200f"))


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True, check=True
    )
    return out.stdout.decode().translate(MARKS)


def keep_page_image(content: bytes, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / name
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", "-", str(stem)],
        input=content, check=True,
    )  # fmt: skip
    return stem.with_suffix(".png")


@pytest.fixture
def quote(world):
    """A quote of two lines for a Vietnamese shop in territory A (rep1's), names in vi and fa."""
    tea = Product.objects.create(sku="TEA-1", name="Trà xanh Thái Nguyên", unit="hộp",
                                 tax_rate=Decimal("10"))  # fmt: skip
    saffron = Product.objects.create(sku="SAF-1", name="زعفران سرگل", unit="گرم")
    account = make_account("Cửa hàng Nguyễn Đức", lng=1.02, lat=42.02)
    prices = PriceList.objects.create(name="Retail", currency="EUR")
    prices.territories.add(world.territory_a)
    prices.items.create(product=tea, unit_price=Decimal("3.35"))
    prices.items.create(product=saffron, unit_price=Decimal("12"))
    client = Client()
    client.force_login(world.rep1)
    response = client.post("/api/v1/orders", {
        "kind": "quote", "account_id": str(account.pk), "notes": "Giao hàng thứ Hai",
        "lines": [{"product_id": str(tea.pk), "quantity": "3"},
                  {"product_id": str(saffron.pk), "quantity": "1.5", "discount_percent": "10"}],
    }, content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    return Order.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Quote", "Customer", "Product", "Unit price", "Total", "27.26", "EUR"]),
        ("vi", ["Báo giá", "Khách hàng", "Sản phẩm", "Đơn giá", "Tổng", "27,26"]),
        # Words without the lam-alef ligature or a zero-width non-joiner, which pdftotext
        # gives back decomposed or dropped: the letters are right, the extraction is not.
        ("fa", ["مشتری", "محصول", "تعداد", "قیمت واحد", "مجموع"]),
    ],
)
def test_a_quote_renders_in_each_language_with_its_own_words(as_user, quote, language, words):
    response = as_user("rep1").get(f"orders/{quote.pk}/pdf?language={language}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    assert f"{quote.number}-{language}.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    # The record's own words in every language: Vietnamese diacritics, Persian letters.
    for word in [quote.number, "Cửa hàng Nguyễn Đức", "Trà xanh Thái Nguyên", "زعفران سرگل",
                 "Giao hàng thứ Hai", *words]:  # fmt: skip
        assert word in text, (word, text)
    assert keep_page_image(response.content, f"quote-{language}").stat().st_size > 1000


def test_fonts_are_embedded_and_persian_is_laid_out_right_to_left(as_user, quote):
    content = as_user("manager").get(f"orders/{quote.pk}/pdf?language=fa").content
    fonts = subprocess.run(["pdffonts", "-"], input=content, capture_output=True, check=True)
    rows = [line.split() for line in fonts.stdout.decode().splitlines()[2:]]
    assert rows and all(row[-5] == "yes" for row in rows), fonts.stdout  # the "emb" column
    assert any("Arabic" in row[0] for row in rows), fonts.stdout
    # Laid out right to left: the title's line ends at the right margin in -layout mode.
    layout = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                            capture_output=True, check=True).stdout.decode()  # fmt: skip
    title = next(line for line in layout.splitlines() if quote.number in line)
    assert len(title) - len(title.lstrip()) > 20, layout[:400]


def test_a_rep_gets_no_pdf_of_another_reps_order(as_user, world, quote):
    assert as_user("rep2").get(f"orders/{quote.pk}/pdf").status_code == 404
    missing = as_user("rep2").get("orders/00000000-0000-0000-0000-000000000000/pdf")
    assert missing.status_code == 404
    assert as_user("rep2").get(f"orders/{quote.pk}/pdf").json() == missing.json()
    page = Client()
    page.force_login(world.rep2)
    assert page.get(f"/crm/orders/{quote.pk}/pdf").status_code == 404
    page.force_login(world.rep1)
    assert page.get(f"/crm/orders/{quote.pk}/pdf?language=vi").status_code == 200


def test_an_unknown_language_is_refused_naming_it(as_user, quote):
    response = as_user("rep1").get(f"orders/{quote.pk}/pdf?language=de")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "language"


def test_a_visit_report_renders_for_whoever_sees_the_visit(as_user, world):
    account = make_account("Tiệm Phở Hà", lng=1.02, lat=42.02)
    visit = Visit.objects.create(
        account=account, rep=world.rep1, status="done", scheduled_on=dt.date(2026, 3, 4),
        completed_at=timezone.now(), outcome="follow_up", notes="Gặp chủ quán",
    )  # fmt: skip
    text = pdf_text(as_user("manager").get(f"visits/{visit.pk}/pdf?language=vi").content)
    assert "Tiệm Phở Hà" in text and "Gặp chủ quán" in text
    assert as_user("rep2").get(f"visits/{visit.pk}/pdf").status_code == 404


def test_a_visit_report_shows_the_time_on_site(as_user, world):
    account = make_account("Checkout Shop", lng=1.02, lat=42.02)
    left = timezone.now()
    visit = Visit.objects.create(
        account=account, rep=world.rep1, status="done", completed_at=left,
        checked_in_at=left - dt.timedelta(minutes=37), checked_out_at=left,
    )  # fmt: skip
    text = pdf_text(as_user("manager").get(f"visits/{visit.pk}/pdf?language=en").content)
    assert "Checked out" in text and "37 min on site" in text


# --- The template editor (admins) ---


def editor(world, persona="admin"):
    client = Client()
    client.force_login(getattr(world, persona))
    return client


URL = "/crm/settings/documents/quote/en"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{{ account.nmae }}", "account.nmae"),
        ("{{ missing }}", "missing"),
        ("{{ account.delete }}", "account.delete"),
        ("{% for l in lines %}{{ l.secret }}{% endfor %}", "l.secret"),
        ("{% if deal.owner.password %}x{% endif %}", "deal.owner"),
        ("{{ account.__class__ }}", "underscore"),
        ("{% load static %}", "load"),
        ('{% include "base.html" %}', "include"),
        ("{% debug %}", "debug"),
        ("{{ notes|safe }}", "safe"),
        ("{% for x in account.name %}{% endfor %}", "account.name"),
        ("{% with a=account %}{{ a.owner }}{% endwith %}", "a.owner"),
    ],
)
def test_a_bad_template_is_refused_naming_the_field_and_nothing_is_saved(world, body, named):
    response = editor(world).post(URL, {"body": body})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Template:" in page and named in page, page[page.find("crm-form-errors") :][:300]
    assert not DocumentTemplate.objects.exists()
    preview = editor(world).post(f"{URL}/preview", {"body": body})
    assert preview.status_code == 400 and named in preview.content.decode()


def test_an_admin_saves_previews_and_resets_a_template(world, quote):
    client = editor(world)
    page = client.get(URL)
    assert page.status_code == 200 and "{{ account.name }}" in page.content.decode()
    body = (
        "<h1>Offer {{ document.number }} for {{ account.name }}</h1>{% for line in lines %}"
        "<p>{{ forloop.counter }}. {{ line.description|upper }}</p>{% endfor %}"
    )
    preview = client.post(f"{URL}/preview", {"body": body})
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    assert "Offer Q-2026-0001 for" in pdf_text(preview.content)
    assert not DocumentTemplate.objects.exists()
    assert client.post(URL, {"body": body}).status_code == 302
    text = pdf_text(client.get(f"/crm/orders/{quote.pk}/pdf?language=en").content)
    assert f"Offer {quote.number} for Cửa hàng Nguyễn Đức" in text
    assert "2. زعفران سرگل" in text or "زعفران سرگل" in text
    # Another language keeps its own (built-in) template.
    assert "Báo giá" in pdf_text(client.get(f"/crm/orders/{quote.pk}/pdf?language=vi").content)
    assert client.post(URL, {"do": "reset"}).status_code == 302
    assert not DocumentTemplate.objects.exists()


def test_a_template_cannot_make_the_server_fetch_anything(world, quote, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("h1::after { content: 'LEAKED' }")
    body = f'<link rel="stylesheet" href="file://{secret}"><img src="file:///etc/hostname">' \
           '<h1>{{ document.number }}</h1>'  # fmt: skip
    client = editor(world)
    assert client.post(URL, {"body": body}).status_code == 302
    text = pdf_text(client.get(f"/crm/orders/{quote.pk}/pdf?language=en").content)
    assert quote.number in text and "LEAKED" not in text


@pytest.mark.parametrize("persona", ["manager", "rep1", "planner"])
def test_only_admins_open_the_template_editor(world, persona):
    client = editor(world, persona)
    assert client.get("/crm/settings/documents").status_code == 403
    assert client.post(URL, {"body": "x"}).status_code == 403
    assert client.post(f"{URL}/preview", {"body": "x"}).status_code == 403
    assert not DocumentTemplate.objects.exists()


def test_the_list_shows_every_kind_in_every_language(world):
    page = editor(world).get("/crm/settings/documents").content.decode()
    for kind in ("quote", "order_confirmation", "visit_report"):
        for language in ("en", "vi", "fa"):
            assert f'id="template-{kind}-{language}"' in page
