"""Who signs in (interfaces §3, W5, W6): the roles claim and the configuration."""

from __future__ import annotations

import pytest

from aggregates.errors import BadInput
from ledger.entrypoints.http.config import WebConfig, enabled_funds
from ledger.entrypoints.http.identity import User, name_of, roles_of

ENV = {"LEDGER_OIDC_ISSUER": "https://oauth2.gsis.gr", "LEDGER_OIDC_CLIENT_ID": "keao",
       "LEDGER_OIDC_CLIENT_SECRET": "s", "LEDGER_SESSION_SECRET": "k" * 32}


def test_the_roles_claim_is_a_list_or_a_space_separated_string_and_only_staff_roles_count():
    assert roles_of({"roles": ["operator", "admin"]}, "roles") == {"operator"}
    assert roles_of({"groups": "auditor operator"}, "groups") == {"auditor", "operator"}
    assert roles_of({"roles": 7}, "roles") == frozenset()
    assert roles_of({}, "roles") == frozenset()


def test_the_name_comes_from_the_claims():
    assert name_of({"name": "Γ. Παπαδόπουλος", "given_name": "x"}) == "Γ. Παπαδόπουλος"
    assert name_of({"given_name": "Γιώργος", "family_name": "Παπαδόπουλος"}) == "Γιώργος Παπαδόπουλος"
    assert name_of({"sub": "u-1"}) == ""  # not the subject: the debtor's registered name then (Portal.sign_in)


def test_w7_a_debtor_may_see_its_own_and_its_units_staff_everyone():
    head = User("s", "Α.Ε.", frozenset(), "100000003", frozenset({"100000003", "100000039"}))
    assert (head.may_see("100000039"), head.may_see("100000015")) == (True, False)
    assert User("o", "Υπάλληλος", frozenset({"operator"})).may_see("100000015")
    assert head.as_json("ΠΥ ΚΕΑΟ Αθηνών") == {"afm": "100000003", "name": "Α.Ε.", "roles": [],
                                               "service": "ΠΥ ΚΕΑΟ Αθηνών"}


def test_the_configuration_names_the_variable_that_is_missing_or_wrong(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    config = WebConfig.from_environment()
    assert (config.afm_claim, config.roles_claim, config.secure_cookies) == ("taxid", "roles", True)
    assert config.enabled_funds == {"IKA", "OAEE", "OGA", "ETAA"}  # W3: all four by default
    monkeypatch.setenv("LEDGER_WEB_FUNDS", "oaee, oga")
    assert WebConfig.from_environment().enabled_funds == {"OAEE", "OGA"}
    monkeypatch.setenv("LEDGER_WEB_FUNDS", "OAEE,TEBE")
    with pytest.raises(BadInput, match="LEDGER_WEB_FUNDS: must name some of IKA, OAEE, OGA, ETAA, not 'OAEE,TEBE'"):
        WebConfig.from_environment()
    monkeypatch.delenv("LEDGER_WEB_FUNDS")
    monkeypatch.setenv("LEDGER_SESSION_HOURS", "48")
    with pytest.raises(BadInput, match="LEDGER_SESSION_HOURS: must be a whole number of hours from 1 to 24, not '48'"):
        WebConfig.from_environment()
    monkeypatch.setenv("LEDGER_SESSION_HOURS", "2")
    assert WebConfig.from_environment().session_hours == 2
    monkeypatch.setenv("LEDGER_SESSION_SECRET", "short")
    with pytest.raises(BadInput, match="LEDGER_SESSION_SECRET: must be at least 32 characters"):
        WebConfig.from_environment()
    monkeypatch.delenv("LEDGER_OIDC_ISSUER")
    with pytest.raises(BadInput, match="LEDGER_OIDC_ISSUER: is not set"):
        WebConfig.from_environment()


def test_dev_mode_makes_a_session_secret_and_plain_http_cookies(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    config = WebConfig.from_environment(dev=True, issuer="http://localhost:5000", client_id="dev")
    assert (config.secure_cookies, len(config.session_secret) >= 32) == (False, True)
    assert enabled_funds("ETAA") == {"ETAA"}
