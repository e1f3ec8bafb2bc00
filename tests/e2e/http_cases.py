"""What the HTTP tests (``test_http_access``, ``test_http_api``) share: the running
application's route table, the sample value of every path parameter, the form of every
POST, and small readers of the ledger and the access log.

``SAMPLES`` and ``FORMS`` are keyed by parameter name and by path: a route whose path
parameter or POST is missing from them fails the access tests, so a new endpoint has to
be added here, and is then walked by every check (401, 403, W7's 404 parity, CSRF).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from fastapi.routing import APIRoute

from tests.e2e.web import DEBTOR, OTHER, STRANGER, WRITER, Web

ACCESS_TAGS = ("public", "debtor", "staff", "operator")
# Routes the framework adds, not ours: no tags to carry, no data behind them.
FRAMEWORK = {"/openapi.json", "/static"}


@dataclass(frozen=True)
class Sample:
    """A path parameter's values: the signed-in DEBTOR's own, the WRITER's own (for the
    tests that post), another debtor's (OTHER's) and one that exists for no one."""

    own: str
    writer: str
    other: str
    unknown: str


SAMPLES: dict[str, Sample] = {
    "afm": Sample(DEBTOR, WRITER, OTHER, STRANGER),  # STRANGER: a valid ΑΦΜ no one registered
    # DEBTOR's (rejected) application, WRITER's and OTHER's arrangements by payment code;
    # the unknown one is the code the demo's suspended payment names (P2).
    "id": Sample("RF45A650100000015001", "RF05A650100000039001", "RF25A650100000027001", "RF53A650999999999001"),
    "notice_id": Sample("INV-100000015-20200515", "INV-100000039-20200515", "INV-100000027-20200515",
                        f"INV-{STRANGER}-20200515"),
    # A debtor's page names a notice by its place in the debtor's own inbox (W10: a
    # notice's number holds the ΑΦΜ), so no one else's notice has an ``n`` at all: the
    # "other" is one past DEBTOR's six notices, the unknown one far past.
    "n": Sample("1", "1", "7", "999"),
}

# A valid form for every POST, so that were its CSRF check missing it would record.
FORMS: dict[str, dict[str, str]] = {
    "/logout": {},
    "/apply": {"scheme": "standing", "confirm": "true"},
    "/notices/{n}/open": {},
    "/api/v1/notices/{notice_id}/open": {},
    "/operator/suspense/assign": {"tx_id": "TX000111", "bank": "PIRAEUS", "to": "RF05A650100000039001",
                                  "reason": "test"},
    "/operator/suspense/refund": {"tx_id": "TX000111", "bank": "PIRAEUS", "iban": "GR1601101250000000012300695",
                                  "reason": "test"},
    "/operator/notices/deliver": {"notice_id": "INV-100000039-20200515", "proof": "AR-1"},
    "/operator/projections/rebuild": {"name": "directory"},
}


@dataclass(frozen=True)
class Endpoint:
    """One method of one route of the application, as its route table declares it."""

    path: str  # the template, ``/api/v1/debtors/{afm}/debt-table`` (without converters: ``{n}``)
    method: str
    tags: tuple[str, ...]
    params: tuple[str, ...]  # path parameters
    queries: tuple[str, ...]  # query parameters (their names on the wire)
    in_schema: bool
    api: bool  # a FastAPI route (not the framework's)

    @property
    def access(self) -> str:
        found = [t for t in self.tags if t in ACCESS_TAGS]
        return found[0] if len(found) == 1 else ""

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, which: str = "own", **given: str) -> str:
        """The path with every parameter's sample (``which`` of ``Sample``), or as given."""
        path = self.path
        for name in self.params:
            value = given.get(name, getattr(SAMPLES[name], which))
            path = path.replace("{" + name + "}", value)
        return path


def endpoints(web: Web) -> list[Endpoint]:
    """The route table of the app ``web`` serves, every method of every route."""
    return _endpoints(web.db_url, web.issuer, str(web.access_log))


@cache
def _endpoints(db_url: str, issuer: str, access_log: str) -> list[Endpoint]:
    from fastapi.routing import iter_route_contexts

    from ledger.entrypoints.bootstrap import Bootstrap
    from ledger.entrypoints.http.app import create_app
    from ledger.entrypoints.http.config import WebConfig

    services = Bootstrap()
    services.use(db_url)
    try:
        # Built only to read its routes: never served, its follower never started.
        app = create_app(services, WebConfig(issuer=issuer, client_id="tests", client_secret="x",
                                             session_secret="s" * 32, secure_cookies=False,
                                             access_log=access_log), follow=False)
        found = []
        # FastAPI ≥ 0.160 keeps included routers lazily; ``iter_route_contexts`` is how
        # its own OpenAPI generator flattens them.
        for route in iter_route_contexts(app.routes):
            original = route.original_route
            path = re.sub(r"{(\w+):\w+}", r"{\1}", str(route.path))  # /notices/{n:int} → /notices/{n}
            is_api = isinstance(original, APIRoute)
            queries: tuple[str, ...] = ()
            if is_api:
                queries = tuple(query_names(route.dependant))
            params = tuple(re.findall(r"{(\w+)}", path))
            for method in sorted(route.methods or {"GET"}):
                if method == "HEAD" and not is_api:
                    continue
                found.append(Endpoint(path, method, tuple(getattr(route, "tags", None) or ()), params, queries,
                                      bool(getattr(route, "include_in_schema", False)), is_api))
        return found
    finally:
        services.close()


def query_names(dependant: Any) -> list[str]:
    """The query parameters of a route and of its dependencies, by their names on the wire."""
    return [q.alias for q in dependant.query_params] + [
        name for sub in dependant.dependencies for name in query_names(sub)]


def event_count(web: Web) -> int:
    """How many domain events the ledger holds: what "records nothing" is measured by."""
    engine = sa.create_engine(web.db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM stored_events")).scalar_one())
    finally:
        engine.dispose()


def access_log_lines(web: Web, wanted: Any, seconds: float = 10.0) -> list[dict[str, Any]]:
    """The access log's entries once ``wanted(entries)`` holds; it is written by a
    background thread, so poll a little. Returns the entries either way."""
    deadline = time.monotonic() + seconds
    while True:
        text = web.access_log.read_text(encoding="utf-8") if web.access_log.exists() else ""
        entries = [json.loads(line) for line in text.splitlines() if line.strip()]
        if wanted(entries) or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def no_floats(text: str) -> Any:
    """The JSON, failing on any number with a fraction or exponent: amounts are decimal strings."""
    def refuse(literal: str) -> Any:
        raise AssertionError(f"a float in the JSON: {literal}")
    return json.loads(text, parse_float=refuse)
