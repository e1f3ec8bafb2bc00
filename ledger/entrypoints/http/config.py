"""The web service's configuration, from the environment (interfaces §3)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from ledger.errors import BadInput

FUNDS = ("IKA", "OAEE", "OGA", "ETAA")
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class WebConfig:
    """Who the identity provider is and how sessions are kept.

    ``secure_cookies``: the session cookie is sent over HTTPS only; on by default, off
    only in ``--dev`` on loopback (plain HTTP). ``enabled_funds``: W3, the funds whose
    debtors may register (default all four)."""

    issuer: str
    client_id: str
    client_secret: str
    session_secret: str
    afm_claim: str = "taxid"
    roles_claim: str = "roles"
    enabled_funds: frozenset[str] = field(default_factory=lambda: frozenset(FUNDS))
    secure_cookies: bool = True
    session_hours: int = 8
    access_log: str = "ledger-access.log"

    @classmethod
    def from_environment(cls, dev: bool = False, **given: object) -> WebConfig:
        env = os.environ
        values: dict[str, object] = {
            "issuer": env.get("LEDGER_OIDC_ISSUER", ""),
            "client_id": env.get("LEDGER_OIDC_CLIENT_ID", ""),
            "client_secret": env.get("LEDGER_OIDC_CLIENT_SECRET", ""),
            "session_secret": env.get("LEDGER_SESSION_SECRET", ""),
            "afm_claim": env.get("LEDGER_OIDC_AFM_CLAIM", "taxid"),
            "roles_claim": env.get("LEDGER_OIDC_ROLES_CLAIM", "roles"),
            "access_log": env.get("LEDGER_ACCESS_LOG", "ledger-access.log"),
            "session_hours": session_hours(env.get("LEDGER_SESSION_HOURS", "8")),
            "secure_cookies": not dev,
        }
        if "LEDGER_WEB_FUNDS" in env:
            values["enabled_funds"] = enabled_funds(env["LEDGER_WEB_FUNDS"])
        values.update({k: v for k, v in given.items() if v is not None})
        if dev and not values["session_secret"]:
            values["session_secret"] = secrets.token_urlsafe(32)  # a dev run's sessions end with it
        for name, variable in (("issuer", "LEDGER_OIDC_ISSUER"), ("client_id", "LEDGER_OIDC_CLIENT_ID"),
                               ("session_secret", "LEDGER_SESSION_SECRET")):
            if not values[name]:
                raise BadInput(variable, "is not set: the web service needs its identity provider and a "
                                         "session secret (interfaces §3), or --dev")
        if len(str(values["session_secret"])) < 32:
            raise BadInput("LEDGER_SESSION_SECRET", "must be at least 32 characters")
        return cls(**values)  # type: ignore[arg-type]


def session_hours(text: str) -> int:
    """``LEDGER_SESSION_HOURS``: how long a session lasts after sign-in (1 to 24)."""
    if not text.strip().isdigit() or not 1 <= int(text) <= 24:
        raise BadInput("LEDGER_SESSION_HOURS", f"must be a whole number of hours from 1 to 24, not {text!r}")
    return int(text)


def enabled_funds(text: str) -> frozenset[str]:
    """W3: ``LEDGER_WEB_FUNDS``, a comma-separated list of the four funds."""
    funds = frozenset(f.strip().upper() for f in text.split(",") if f.strip())
    unknown = funds - set(FUNDS)
    if unknown or not funds:
        raise BadInput("LEDGER_WEB_FUNDS", f"must name some of {', '.join(FUNDS)}, not {text!r}")
    return funds
