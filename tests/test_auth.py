"""Sign in / sign out, the generic wrong-password message, bad form input and rate limiting."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token_of, login
from tests.factories import PASSWORD, World, make_user

GENERIC_ERROR = "Nama pengguna atau kata sandi salah."


def post_login(client: FlaskClient, username: str, password: str, **extra: str):
    token = csrf_token_of(client)
    return client.post("/masuk", data={"username": username, "password": password, "csrf_token": token, **extra})


def test_login_page_is_in_indonesian_by_default(client: FlaskClient) -> None:
    page = client.get("/masuk").get_data(as_text=True)
    assert "Masuk ke Sinergi" in page
    assert 'lang="id"' in page


def test_login_then_logout(world: World, client: FlaskClient) -> None:
    response = post_login(client, world.participant.username, PASSWORD)
    assert response.status_code == 302
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert world.event.title in home
    response = client.post("/keluar", data={"csrf_token": csrf_token_of(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_username_is_case_insensitive(world: World, client: FlaskClient) -> None:
    assert post_login(client, world.participant.username.upper(), PASSWORD).status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_generic_message(world: World, client: FlaskClient) -> None:
    wrong_password = post_login(client, world.participant.username, "salah-sekali")
    unknown_user = post_login(client, "tidak.ada", PASSWORD)
    for response in (wrong_password, unknown_user):
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert GENERIC_ERROR in page
        assert "tidak terdaftar" not in page
    assert client.get("/").status_code == 302  # still signed out


def test_deactivated_account_cannot_sign_in(app: Flask, client: FlaskClient) -> None:
    user = make_user(active=False)
    response = post_login(client, user.username, PASSWORD)
    assert GENERIC_ERROR in response.get_data(as_text=True)


def test_missing_fields_are_reported_beside_each_field(client: FlaskClient) -> None:
    page = post_login(client, "", "").get_data(as_text=True)
    assert "Isi nama pengguna Anda." in page
    assert "Isi kata sandi Anda." in page
    assert 'aria-invalid="true"' in page


def test_overlong_fields_are_reported(client: FlaskClient) -> None:
    page = post_login(client, "a" * 81, "b" * 201).get_data(as_text=True)
    assert page.count("Paling banyak") == 2


def test_login_without_csrf_token_is_refused(world: World, client: FlaskClient) -> None:
    response = client.post("/masuk", data={"username": world.participant.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "Formulir sudah kedaluwarsa" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_next_parameter_only_follows_local_paths(world: World, client: FlaskClient) -> None:
    token = csrf_token_of(client)
    data = {"username": world.participant.username, "password": PASSWORD, "csrf_token": token}
    response = client.post("/masuk?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/"
    client.post("/keluar", data={"csrf_token": csrf_token_of(client, "/")})
    token = csrf_token_of(client)
    response = client.post(f"/masuk?next=/rakor/{world.event.id}/usulan", data={**data, "csrf_token": token})
    assert response.headers["Location"] == f"/rakor/{world.event.id}/usulan"


def test_session_is_rotated_at_login(world: World, client: FlaskClient) -> None:
    client.get("/masuk")
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    login(client, world.participant.username)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_an_account_that_keeps_failing_must_wait_with_a_clear_message(world: World, client: FlaskClient) -> None:
    """Five wrong passwords are free; then the account's next attempt waits (2 s, 4 s, … 30 s),
    and one made sooner is refused without being tried: a wait, not a lock (docs/security.md)."""
    statuses = [post_login(client, world.participant.username, "salah").status_code for _ in range(6)]
    assert statuses == [400] * 6
    response = post_login(client, world.participant.username, PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    page = response.get_data(as_text=True)
    assert "Terlalu banyak percobaan untuk akun ini" in page and "detik" in page
    assert client.get("/").status_code == 302  # not signed in


def test_language_switch_to_english_and_back(client: FlaskClient) -> None:
    token = csrf_token_of(client)
    client.post("/bahasa", data={"language": "en", "next": "/masuk", "csrf_token": token})
    assert "Sign in to Sinergi" in client.get("/masuk").get_data(as_text=True)
    client.post("/bahasa", data={"language": "id", "next": "/masuk", "csrf_token": token})
    assert "Masuk ke Sinergi" in client.get("/masuk").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages(client: FlaskClient) -> None:
    token = csrf_token_of(client)
    client.post("/bahasa", data={"language": "xx", "next": "https://evil.example", "csrf_token": token})
    assert "Masuk ke Sinergi" in client.get("/masuk").get_data(as_text=True)


def test_one_shared_address_does_not_block_a_room_signing_in(world: World, client: FlaskClient) -> None:
    """A hotel's laptops can share one public address: one account's failures hold up only it."""
    for _ in range(10):
        post_login(client, world.participant.username, "salah")
    assert post_login(client, world.participant.username, PASSWORD).status_code == 429
    assert post_login(client, world.reviewer.username, PASSWORD).status_code == 302

