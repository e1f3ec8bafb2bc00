"""The store URLs (``ledger.store.urls``): a URL of no known scheme is refused before
anything is opened, and a URL is never shown with its password."""

from __future__ import annotations

import pytest

from ledger.errors import StoreUnavailable
from ledger.store.urls import checked_url, db_url, event_store_env, masked

KNOWN = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DBNAME"


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://postgres:S3cr3tPW@db.example:5432/keao?schema=ledger",
     "postgresql://postgres:***@db.example:5432/keao?schema=ledger"),
    ("postgresql://keao:p%40ss%2Fw@127.0.0.1/keao", "postgresql://keao:***@127.0.0.1/keao"),
    # Unencoded '@', '/' and ':' in a password: all of it is hidden, not the part after them.
    ("postgresql://keao:p@ss/w:rd@db.example/keao", "postgresql://keao:***@db.example/keao"),
    ("postgres://keao:@db.example/keao", "postgres://keao:***@db.example/keao"),
    ("mysql://root:hunter2@db.example/keao", "mysql://root:***@db.example/keao"),
])
def test_masked_hides_the_password_and_only_it(url, shown):
    assert masked(url) == shown


@pytest.mark.parametrize("url", [
    "postgresql://postgres@127.0.0.1:5432/ledger_test?schema=test_1",
    "sqlite:///ledger.db",
    "sqlite:////srv/keao@2024:backup/ledger.db",
    "ledger.db",
])
def test_masked_leaves_a_url_without_a_password_as_it_is(url):
    assert masked(url) == url


@pytest.mark.parametrize("url", [
    "sqlite:///ledger.db", "sqlite:////var/lib/keao/ledger.db", "sqlite:///:memory:", "ledger.db", ":memory:",
    "postgresql://postgres@127.0.0.1:5432/ledger_test?schema=test_1", "postgres://keao:pw@db/keao",
    "postgresql+psycopg://keao@db/keao",
])
def test_the_known_urls_pass(url):
    assert checked_url(url) == url


@pytest.mark.parametrize(("url", "shown"), [
    ("mysql://root:hunter2@db.example/keao", "mysql://root:***@db.example/keao"),
    ("sqlite://ledger.db", "sqlite://ledger.db"),
    ("https://keao.example/ledger", "https://keao.example/ledger"),
])
def test_a_url_of_no_known_scheme_is_refused(url, shown):
    with pytest.raises(StoreUnavailable) as refused:
        checked_url(url)
    assert str(refused.value) == f"--db: {shown} is not {KNOWN}"
    with pytest.raises(StoreUnavailable) as refused_by_the_store:  # Ledger(url) opens through it
        event_store_env(url)
    assert str(refused_by_the_store.value) == str(refused.value)


def test_the_url_from_the_environment_is_checked_too(monkeypatch):
    monkeypatch.setenv("LEDGER_DB_URL", "mysql://root:hunter2@db.example/keao")
    with pytest.raises(StoreUnavailable) as refused:
        db_url(None)
    assert str(refused.value) == f"--db: mysql://root:***@db.example/keao is not {KNOWN}"


@pytest.mark.parametrize(("url", "problem"), [
    ("postgresql://keao:pw@db.example:54x2/keao", "Port could not be cast to integer value as '54x2'"),
    ("postgresql://keao:pw@db.example:99999/keao", "Port out of range 0-65535"),
    ("postgresql://keao:pw@[::1/keao", "Invalid IPv6 URL"),
])
def test_a_postgresql_url_that_does_not_parse_is_refused(url, problem):
    with pytest.raises(StoreUnavailable) as refused:
        checked_url(url)
    assert str(refused.value) == f"--db: {masked(url)} is not a PostgreSQL URL: {problem}"


def test_postgresql_gives_up_connecting_within_seconds():
    """The library's default is 30 s of silence per connection: ours is five."""
    env = event_store_env("postgresql://keao:pw@db.example:5433/keao?schema=ledger")
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "5"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_USER"], env["POSTGRES_PASSWORD"],
            env["POSTGRES_DBNAME"], env["POSTGRES_SCHEMA"]) == ("db.example", "5433", "keao", "pw", "keao", "ledger")
