import pytest


@pytest.mark.parametrize(
    ("persona", "landing"),
    [("rep1", "/app/"), ("manager", "/manager/"), ("planner", "/planner/"), ("admin", "/admin/")],
)
def test_login_lands_each_role_where_it_works(client, world, persona, landing):
    response = client.post("/login/", {"username": persona, "password": f"pw-{persona}"})
    assert response.status_code == 302
    assert response["Location"] == landing


def test_wrong_password_stays_on_the_form_with_an_error(client, world):
    response = client.post("/login/", {"username": "rep1", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_home_page_renders_for_visitors(client, db):
    assert client.get("/").status_code == 200


def test_login_page_speaks_persian_right_to_left(client, db):
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert 'dir="rtl"' in html and 'lang="fa"' in html
    assert "ورود" in html  # "Log in"


def test_login_page_speaks_vietnamese(client, db):
    assert "Đăng nhập" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
