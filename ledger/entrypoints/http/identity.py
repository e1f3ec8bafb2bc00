"""Who is asking: a debtor (by the ΑΦΜ the provider vouches for, W5, W6) or staff
(by the roles claim, interfaces §3), and what each may see (W7)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OPERATOR = "operator"
AUDITOR = "auditor"
STAFF_ROLES = frozenset({OPERATOR, AUDITOR})


@dataclass(frozen=True)
class User:
    """The signed-in user. ``afm`` is set for a debtor only; ``visible`` is the ΑΦΜs a
    debtor may see: its own and, for a head office, its branch units' (W7, D1)."""

    subject: str
    name: str
    roles: frozenset[str] = frozenset()
    afm: str | None = None
    visible: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def may_see(self, afm: str) -> bool:
        return self.is_staff or afm in self.visible

    def as_json(self, service: str | None) -> dict[str, Any]:
        """``GET /api/v1/me`` (interfaces §3): ``afm`` null for staff."""
        return {"afm": None if self.is_staff else self.afm, "name": self.name,
                "roles": sorted(self.roles), "service": service}


def roles_of(claims: Mapping[str, Any], claim: str) -> frozenset[str]:
    """The roles claim is a list; a space-separated string is accepted (interfaces §3).
    Roles other than the staff's are ignored."""
    value = claims.get(claim) or []
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, (list, tuple)):
        return frozenset()
    return frozenset(str(v) for v in value) & STAFF_ROLES


def name_of(claims: Mapping[str, Any]) -> str:
    given = " ".join(str(claims[k]) for k in ("given_name", "family_name") if claims.get(k))
    # Not the subject: a debtor whom the provider does not name is shown by its registered name (``Portal.sign_in``).
    return str(claims.get("name") or given or claims.get("preferred_username") or "")
