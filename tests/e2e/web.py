"""A real ``ledger serve`` for the HTTP and browser tests: the demo ledger, the test
OpenID Connect provider (``oidc-provider-mock``) and uvicorn, each on a loopback port
of its own, started once per test session (``web`` in ``tests/e2e/conftest.py``).

The users the provider knows (``USERS``): debtors of the demo, a head office with its
branch unit, a valid ΑΦΜ that is no debtor, a sign-in with no ΑΦΜ, an operator and an
auditor. Tests that record something (open a notice, apply, assign) use the debtors
marked for it, so the read-only tests' figures stay the demo's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

LEDGER = str(Path(sys.executable).with_name("ledger"))

# The demo's debtors (``ledger.demo``): stable, the demo is deterministic.
DEBTOR = "100000015"  # an arrangement and notices; read-only tests only
HEAD_OFFICE, BRANCH = "400000049", "410000254"  # D1: the unit of the head office
OTHER = "100000027"  # another debtor: W7's "someone else's"
WRITER = "100000039"  # the debtor whose notices and application tests record
STRANGER = "123456783"  # a valid ΑΦΜ no one registered
APPLICANT = "100000064"  # no live arrangement (its covid-650 lapsed), debt a standing one takes: applies online
POSTED = "100000107"  # notices no one delivered: the operator's browser test records one's post delivery
READER = "100000052"  # the browser test opens one of its notices (W8)
SEALED = "100000040"  # its notices stay unopened until test_http_records opens one (W8), whose post one delivers

USERS: dict[str, dict[str, Any]] = {
    "debtor": {"taxid": DEBTOR, "name": "Παπαδόπουλος ΑΕ"},
    "head-office": {"taxid": HEAD_OFFICE},
    "branch": {"taxid": BRANCH},
    "other": {"taxid": OTHER},
    "writer": {"taxid": WRITER},
    "applicant": {"taxid": APPLICANT},
    "sealed": {"taxid": SEALED},
    "reader": {"taxid": READER},
    "stranger": {"taxid": STRANGER, "name": "Κανείς"},
    "no-afm": {"name": "Χωρίς ΑΦΜ"},
    "operator": {"name": "Υπάλληλος ΚΕΑΟ", "roles": ["operator"]},
    "auditor": {"name": "Ελεγκτής", "roles": "auditor"},  # a space-separated string is accepted too
}


@dataclass
class Web:
    base: str
    issuer: str
    db_url: str
    access_log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def sign_in(self, sub: str) -> httpx.Client:
        """A client signed in as ``sub`` through the real code flow: /login, the
        provider's authorize form, the callback; its cookie holds the session."""
        client = httpx.Client(base_url=self.base, timeout=30)
        answer = client.get("/login")
        assert answer.status_code in (302, 307), answer.text
        authorize = answer.headers["location"]
        at_provider = httpx.post(authorize, data={"sub": sub}, timeout=30)
        assert at_provider.status_code == 302, at_provider.text
        done = client.get(at_provider.headers["location"])
        assert done.status_code in (303, 403), done.text
        client.headers["x-csrf-token"] = self.csrf(client) if done.status_code == 303 else ""
        return client

    def csrf(self, client: httpx.Client) -> str:
        """The session's CSRF token, as its pages carry it."""
        page = client.get("/", follow_redirects=True).text  # its sign-out form carries it
        marker = 'name="csrf" value="'
        return page[page.index(marker) + len(marker):].split('"', 1)[0] if marker in page else ""

    def bearer(self, sub: str) -> dict[str, str]:
        """``Authorization: Bearer`` with an access token the provider issued to ``sub``."""
        if sub not in self.tokens:
            metadata = httpx.get(f"{self.issuer}/.well-known/openid-configuration").json()
            redirect = f"{self.base}/auth/callback"
            answer = httpx.post(metadata["authorization_endpoint"], params={
                "response_type": "code", "client_id": "tests", "redirect_uri": redirect, "scope": "openid profile",
                "state": "s"}, data={"sub": sub})
            code = parse_qs(urlparse(answer.headers["location"]).query)["code"][0]
            token = httpx.post(metadata["token_endpoint"], data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                "client_id": "tests", "client_secret": "x"}).json()
            self.tokens[sub] = token["access_token"]
        return {"Authorization": f"Bearer {self.tokens[sub]}"}

    def cli_json(self, *args: str) -> Any:
        """What ``ledger … --json`` prints for the same ledger: the figures the pages must show."""
        done = subprocess.run([LEDGER, "--db", self.db_url, *args, "--json"], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "LEDGER_LANG": "en"})
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def build_demo(folder: Path) -> str:
    url = f"sqlite:///{folder / 'demo.db'}"
    done = subprocess.run([LEDGER, "--db", url, "demo"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return url


def serving(folder: Path):  # type: ignore[no-untyped-def]
    """Generator for the fixture: the demo, the provider and the server, stopped after."""
    import oidc_provider_mock
    import uvicorn

    from ledger.entrypoints.bootstrap import Bootstrap
    from ledger.entrypoints.http.app import create_app
    from ledger.entrypoints.http.config import WebConfig

    url = build_demo(folder)
    users = [oidc_provider_mock.User(sub=sub, claims=claims) for sub, claims in USERS.items()]
    with oidc_provider_mock.run_server_in_thread(user_claims=users) as provider:
        issuer = f"http://localhost:{provider.server_port}"
        services = Bootstrap()
        services.use(url)
        access_log = folder / "access.log"
        config = WebConfig(issuer=issuer, client_id="tests", client_secret="x", session_secret="s" * 32,
                           secure_cookies=False, access_log=str(access_log))
        server = uvicorn.Server(uvicorn.Config(create_app(services, config), host="127.0.0.1", port=0,
                                               log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield Web(f"http://127.0.0.1:{port}", issuer, url, access_log)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            services.close()
