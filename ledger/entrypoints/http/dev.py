"""``ledger serve --dev``: the portal on loopback with a test OpenID Connect provider
(``oidc-provider-mock``, a dev dependency) started beside it, whose sign-in page
offers a few of the ledger's debtors, an operator and an auditor with one click.
Never for production: it refuses any address but loopback, and its cookies are not
``Secure`` (plain HTTP)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from ledger.entrypoints.http.config import LOOPBACK
from ledger.errors import BadInput
from projections.reader import reading
from projections.runner import Runner

DEV_CLIENT = "keao-ledger-dev"


def loopback_only(host: str) -> None:
    if host not in LOOPBACK:
        raise BadInput("--host", f"--dev serves on loopback only (127.0.0.1, ::1, localhost), not {host}")


def dev_users(runner: Runner) -> list[dict[str, Any]]:
    """One debtor with an arrangement, one with notices, one head office with branch
    units (each the first by ΑΦΜ), and one operator and one auditor."""
    runner.catch_up()
    with reading(runner, catch_up=False) as r:
        d, a, n = r.t["directory.debtors"], r.t["directory.arrangements"], r.t["notices.notices"]
        picks = [
            select(func.min(a.c.afm)),
            select(func.min(n.c.debtor_afm)),
            select(func.min(d.c.parent_afm)),
        ]
        afms = list(dict.fromkeys(afm for q in picks if (afm := r.conn.execute(q).scalar())))
        names = dict(r.conn.execute(select(d.c.afm, d.c.name).where(d.c.afm.in_(afms))).all())
    users = [{"sub": f"debtor-{afm}", "claims": {"taxid": afm, "name": names.get(afm, afm)}} for afm in afms]
    return users + [
        {"sub": "operator", "claims": {"name": "Υπάλληλος ΚΕΑΟ", "roles": ["operator"]}},
        {"sub": "auditor", "claims": {"name": "Ελεγκτής", "roles": ["auditor"]}},
    ]


@contextlib.contextmanager
def test_provider(users: list[dict[str, Any]], port: int = 0) -> Iterator[str]:
    """The provider on a loopback port of its own; yields its issuer URL."""
    try:
        import oidc_provider_mock
    except ImportError:
        raise BadInput("--dev", "needs the dev dependencies: pip install -e '.[dev]'") from None
    predefined = [oidc_provider_mock.User(sub=u["sub"], claims=u["claims"]) for u in users]
    with oidc_provider_mock.run_server_in_thread(port, user_claims=predefined) as server:
        yield f"http://localhost:{server.server_port}"
