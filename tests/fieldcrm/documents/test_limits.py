"""What one document may cost (documents.limits): each limit passed by a crafted template, in
the editor's preview (400 on the page, at the template field, nothing saved) and for a
document made from a saved template (API: 422 naming ``template``; the page: 422), counted
while rendering and stopped early; the normal templates still render (test_documents.py)."""

from __future__ import annotations

import itertools

import pytest

from fieldcrm.documents import limits, sandbox
from fieldcrm.documents.models import DocumentTemplate
from fieldcrm.documents.pdf import pdf_bytes
from fieldcrm.documents.placeholders import sample_data
from fieldcrm.orders.models import OrderLine
from tests.fieldcrm.documents.test_documents import URL, editor, pdf_text, quote  # noqa: F401

pytestmark = pytest.mark.django_db

# 6 withs double a 200-character value to 12,800 characters (under MAX_VALUE_CHARS); printed
# 200 times it is 2.56 million characters of HTML.
DOUBLED = (
    '{% with a=account.name|ljust:"200" %}{% with b=a|add:a %}{% with c=b|add:b %}'
    "{% with d=c|add:c %}{% with e=d|add:d %}{% with f=e|add:e %}{% with g=f|add:f %}"
)
BIG_HTML = DOUBLED + "{{ g }}" * 200 + "{% endwith %}" * 7
TOO_LONG_VALUE = DOUBLED + "{% with h=g|add:g %}{{ h }}{% endwith %}" + "{% endwith %}" * 7
MANY_PAGES = '<p style="break-before: page">{{ document.number }}</p>' * 200
LOOPS_3_DEEP = (
    "{% for a in lines %}{% for b in lines %}{% for c in lines %}{{ c.sku }}"
    "{% endfor %}{% endfor %}{% endfor %}"
)
LINES_BY_LINES = "{% for a in lines %}{% for b in lines %}{% endfor %}{% endfor %}"


def refused_in_the_editor(world, body: str) -> str:
    """Preview and save of ``body``: both 400, the message at the template field; none kept."""
    client = editor(world)
    preview = client.post(f"{URL}/preview", {"body": body})
    saved = client.post(URL, {"body": body})
    assert (preview.status_code, saved.status_code) == (400, 400), preview.content[:200]
    assert not DocumentTemplate.objects.exists()
    page, again = preview.content.decode(), saved.content.decode()
    assert "Template:" in page, page[page.find("crm-form-errors") :][:300]
    assert "Template:" in again
    return page


def saved_as_before(kind: str, body: str) -> None:
    """A template saved without the check (one kept from before the limits existed)."""
    DocumentTemplate.objects.create(kind=kind, language="en", body=body)


def refused_by_the_api(as_user, order) -> str:
    before = DocumentTemplate.objects.count()
    response = as_user("rep1").get(f"orders/{order.pk}/pdf?language=en")
    assert response.status_code == 422, response.content[:300]
    (detail,) = response.json()["detail"]
    assert detail["loc"] == ["body", "template"]
    assert DocumentTemplate.objects.count() == before
    return detail["msg"]


def test_loops_nested_three_deep_are_refused_when_checked(world):
    page = refused_in_the_editor(world, LOOPS_3_DEEP)
    assert "at most 2 loops" in page
    assert editor(world).post(f"{URL}/preview", {"body": LINES_BY_LINES}).status_code == 200


@pytest.mark.parametrize(
    "body",
    ['{{ account.name|ljust:"1000000000" }}', "{{ account.name|center:document.number }}",
     '{{ totals.net|floatformat:"100000" }}', '{{ notes|wordwrap:"0" }}'],
)  # fmt: skip
def test_a_filter_width_must_be_a_small_number_written_in_the_template(world, body):
    page = refused_in_the_editor(world, body)
    assert "takes a number from 1 to" in page


def test_the_html_is_counted_while_rendering_and_stopped_at_its_limit(world):
    page = refused_in_the_editor(world, BIG_HTML)
    assert "HTML would be longer than 2,000,000 characters" in page
    with limits.budget() as budget, pytest.raises(limits.RenderLimit):
        sandbox.render(BIG_HTML, sample_data(kind="quote", language="en"))
    # Stopped at the limit, not after building the whole 2.56 million characters.
    assert budget.spent == ["html"]
    assert budget.chars <= limits.MAX_HTML_CHARS + limits.MAX_VALUE_CHARS


def test_one_value_is_stopped_before_it_grows_past_its_limit(world):
    page = refused_in_the_editor(world, TOO_LONG_VALUE)
    assert "One value would be longer than 20,000 characters" in page


def test_a_filter_that_cannot_take_its_value_is_refused_not_a_500(world):
    page = refused_in_the_editor(world, '{{ account.name|divisibleby:"3" }}')
    assert "“divisibleby” cannot be applied" in page


def test_the_pdf_stops_laying_out_at_the_page_after_the_limit(world):
    page = refused_in_the_editor(world, MANY_PAGES)
    assert "more than 150 pages" in page
    html = "<p style='break-before: page'>x</p>" * 400
    with limits.budget() as budget, pytest.raises(limits.RenderLimit):
        pdf_bytes(html)
    assert budget.spent == ["pages"] and budget.pages == limits.MAX_PAGES + 1  # not 400


def test_a_saved_template_past_a_limit_answers_422_in_the_api_and_on_the_page(
    as_user,
    world,
    quote,  # noqa: F811
):
    saved_as_before("quote", MANY_PAGES)
    assert "more than 150 pages" in refused_by_the_api(as_user, quote)
    page = editor(world, "rep1").get(f"/crm/orders/{quote.pk}/pdf?language=en")
    assert page.status_code == 422 and "more than 150 pages" in page.content.decode()
    assert "Settings → Document templates" in page.content.decode()
    DocumentTemplate.objects.update(body=BIG_HTML)
    assert "HTML would be longer" in refused_by_the_api(as_user, quote)


def test_loops_inside_loops_over_a_long_order_stop_at_the_step_limit(as_user, quote):  # noqa: F811
    line = quote.lines.first()
    OrderLine.objects.bulk_create([
        OrderLine(order=quote, position=n, product=line.product, description=line.description,
                  unit=line.unit, quantity=line.quantity, unit_price=line.unit_price,
                  discount_percent=line.discount_percent, tax_rate=line.tax_rate)
        for n in range(3, 451)
    ])  # fmt: skip
    saved_as_before("quote", LINES_BY_LINES)  # 450 × 450 = 202,500 iterations, none printed
    assert "more than 200,000 steps" in refused_by_the_api(as_user, quote)
    DocumentTemplate.objects.update(body=LOOPS_3_DEEP)  # saved before the nesting check
    assert "more than 200,000 steps" in refused_by_the_api(as_user, quote)


def test_the_whole_render_has_a_time_budget(as_user, world, quote, monkeypatch):  # noqa: F811
    ticks = itertools.count()
    monkeypatch.setattr(limits, "monotonic", lambda: 5.0 * next(ticks))  # 5 s a check
    assert "longer than 60 seconds" in refused_by_the_api(as_user, quote)  # the built-in one
    preview = editor(world).post(f"{URL}/preview", {"body": "<p>{{ document.number }}</p>" * 20})
    assert preview.status_code == 400 and "longer than 60 seconds" in preview.content.decode()


def test_a_normal_template_stays_well_within_the_limits(as_user, quote):  # noqa: F811
    with limits.budget() as budget:
        content = as_user("rep1").get(f"orders/{quote.pk}/pdf?language=en").content
    assert quote.number in pdf_text(content)
    assert not budget.spent and budget.pages == 1 and budget.steps < 200


def test_a_quote_e_mailed_with_a_template_past_a_limit_is_refused_and_nothing_sent(
    world,
    quote,  # noqa: F811
):
    from fieldcrm.accounts.models import Contact
    from fieldcrm.core.errors import DomainError
    from fieldcrm.emails.models import Email
    from fieldcrm.emails.services import email_send

    contact = Contact.objects.create(account=quote.account, name="Chị Lan", email="lan@x.test")
    saved_as_before("quote", MANY_PAGES)
    with pytest.raises(DomainError) as refused:
        email_send(actor=world.rep1, record_type="order", record_id=quote.pk,
                   contact_ids=[contact.pk], subject="Báo giá", body="Xin gửi chị",
                   pdf_language="en")  # fmt: skip
    assert refused.value.field == "pdf_language" and "150 pages" in refused.value.message
    assert not Email.objects.exists()
