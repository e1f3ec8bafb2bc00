"""The web's fast paths (``ledger/entrypoints/http/fast.py``) against their plain paths,
on both stores: the debt table and clearance JSON cached by the read models' position
are byte for byte ``LedgerJSON(Portal.debt_table(...))``, before and after the ledger
moves; W7 still answers first; a cached session ends at logout and at its expiry."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import update

from ledger import views
from ledger.entrypoints.bootstrap import Bootstrap
from ledger.entrypoints.http.api import ledger_json
from ledger.entrypoints.http.app import create_app
from ledger.entrypoints.http.config import WebConfig
from ledger.entrypoints.http.fast import CachedSessions, ViewCache
from ledger.entrypoints.http.sessions import web_sessions
from ledger.errors import NotFound
from ledger.handlers.arrangements import apply_for_arrangement
from ledger.handlers.close_day import close_day
from tests.integration.helpers import AFM, AFM2, d, debtor, pay, transfer


@pytest.fixture
def web(db_url: str, tmp_path: Path):
    services = Bootstrap()
    services.use(db_url)
    ledger = services.ledger()
    close_day(ledger, d("2022-01-10"))
    debtor(ledger, AFM, "Παπαδόπουλος Α.Ε.")
    debtor(ledger, AFM2, "Ελένη Χαϊδεμένου")
    transfer(ledger, AFM, "1200.00", "2021-10-31", "2021-09", "T-A1")
    transfer(ledger, AFM2, "300.00", "2021-11-30", "2021-10", "T-B1", fund="OGA")
    config = WebConfig(issuer="http://127.0.0.1:9", client_id="x", client_secret="x", session_secret="s" * 32,
                       secure_cookies=False, access_log=str(tmp_path / "access.log"))
    app = create_app(services, config, follow=False)
    app.state.portal.catch_up()
    yield app
    asyncio.run(app.state.views.aclose())
    services.close()


def plain(app, name: str, user, afm: str) -> bytes:
    return ledger_json(getattr(app.state.portal, name)(user, afm))


def test_the_cached_views_are_the_plain_paths_bytes_before_and_after_the_ledger_moves(web):
    portal, cache = web.state.portal, web.state.views
    assert isinstance(cache, ViewCache) and cache.enabled
    users = {afm: portal.sign_in(f"debtor-{afm}", "", frozenset(), afm) for afm in (AFM, AFM2)}
    for _ in range(2):  # computed, then kept
        for afm, user in users.items():
            for name in ("debt_table", "clearance"):
                assert cache.json(name, user, afm) == plain(web, name, user, afm), (name, afm)
    assert cache.hits >= 4
    before = cache.json("debt_table", users[AFM], AFM)
    ledger = portal.services.ledger()
    code = apply_for_arrangement(ledger, AFM, "standing", d("2022-01-10"), 12).payment_code
    first = views.arrangement_view(ledger, code)["instalments"][0]
    pay(ledger, code, str(first["amount"]), "2022-01-12", "P1")
    stale = cache.json("debt_table", users[AFM], AFM)
    assert stale == before  # the read models have not moved yet: neither has the plain path
    assert stale == plain(web, "debt_table", users[AFM], AFM)
    portal.catch_up()  # as the follower does
    moved = cache.json("debt_table", users[AFM], AFM)
    assert moved != before and moved == plain(web, "debt_table", users[AFM], AFM)
    close_day(ledger, d("2022-01-11"))  # the business date is the read models' too
    portal.catch_up()
    for afm, user in users.items():
        for name in ("debt_table", "clearance"):
            assert cache.json(name, user, afm) == plain(web, name, user, afm), (name, afm)
            # the endpoints' way: the probe and a kept answer in the event loop (async psycopg on PostgreSQL)
            assert asyncio.run(cache.json_async(name, user, afm)) == plain(web, name, user, afm), (name, afm)
    pay(ledger, code, str(first["amount"]), "2022-01-13", "P2")
    portal.catch_up()
    assert asyncio.run(cache.json_async("debt_table", users[AFM], AFM)) == plain(web, "debt_table", users[AFM], AFM)
    asyncio.run(cache.aclose())


def test_w7_is_checked_before_the_cache_and_staff_as_of_replays(web):
    portal, cache = web.state.portal, web.state.views
    one = portal.sign_in(f"debtor-{AFM}", "", frozenset(), AFM)
    cache.json("debt_table", portal.sign_in(f"debtor-{AFM2}", "", frozenset(), AFM2), AFM2)  # kept for its owner
    with pytest.raises(NotFound) as theirs:
        cache.json("debt_table", one, AFM2)
    with pytest.raises(NotFound) as nobody:
        cache.json("debt_table", one, "123456783")
    assert (theirs.value.field, theirs.value.reason) == (nobody.value.field, nobody.value.reason.replace(
        "123456783", AFM2))
    operator = portal.sign_in("operator", "Υπάλληλος", frozenset({"operator"}), None)
    day = d("2022-01-10")
    assert cache.json("debt_table", operator, AFM, day) == ledger_json(portal.debt_table(operator, AFM, day))


def test_off_is_the_plain_path(web):
    portal = web.state.portal
    off = ViewCache(portal, enabled=False)
    user = portal.sign_in(f"debtor-{AFM}", "", frozenset(), AFM)
    assert off.json("debt_table", user, AFM) == plain(web, "debt_table", user, AFM)
    assert (off.hits, off.misses) == (0, 0)


def test_a_cached_session_ends_at_logout_and_at_its_expiry(web):
    store = web.state.identity.store
    assert isinstance(store, CachedSessions)
    user = web.state.portal.sign_in(f"debtor-{AFM}", "", frozenset(), AFM)
    token = store.open(user)
    assert store.find(token).user == user and store.cached(token).user == user  # kept: auth answers it in the loop
    store.close(token)  # POST /logout in this process
    assert store.cached(token) is None and store.find(token) is None
    token = store.open(user)
    assert store.find(token) is not None
    with store.engine.begin() as conn:  # expired meanwhile (the row says so; the cache kept its expiry)
        conn.execute(update(web_sessions).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    store.kept = {k: (t, datetime.now(timezone.utc) - timedelta(seconds=1), s) for k, (t, _, s) in store.kept.items()}
    assert store.find(token) is None
    plain_store = CachedSessions(store.engine, 8, seconds=0)
    token = plain_store.open(user)
    assert plain_store.find(token).user == user and plain_store.kept == {}
