"""Configuration: scheme parameters, surcharge rates, clearance policy, the
disaster delimitations and the limits on inputs, read from the TOML files in
``ledger/config/``.

``LEDGER_CONFIG_DIR`` points at another folder of the same files, so that an
operator changes a [P] policy value without touching code.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from aggregates.apd_rules import ApdRules, Cycle, Dated, Package
from aggregates.clearance import ClearancePolicy
from aggregates.enforcement import NoticeRules
from aggregates.invited_workers import OgaRules
from aggregates.oga_statement import NoticeRound
from aggregates.oga_contributions import ContributionTable, MonthlyContribution
from aggregates.schemes.base import Scheme
from aggregates.schemes.covid650 import Covid650, Covid650Parameters
from aggregates.schemes.disaster import (
    Delimitation,
    DelimitedArea,
    Disaster,
    DisasterParameters,
)
from aggregates.schemes.standing import Standing, StandingParameters
from aggregates.surcharges import RatePeriod, SurchargeRules

DEFAULT_CONFIG_DIR = Path(__file__).with_name("config")


@dataclass(frozen=True)
class Limits:
    """What an input may hold (``config/limits.toml``, checked by ``ledger.inputs``)."""

    max_amount: Decimal
    max_integer_digits: int
    earliest_date: date
    latest_date: date
    max_length: dict[str, int]  # by kind of text: "name", "reference", "tx_id", …

    def length(self, kind: str) -> int:
        return self.max_length[kind]


@dataclass(frozen=True)
class Settings:
    schemes: dict[str, Scheme]
    surcharges: SurchargeRules
    clearance: ClearancePolicy
    delimitations: dict[str, Delimitation]
    limits: Limits
    notices: NoticeRules
    oga: OgaRules
    apd: ApdRules
    oga_rounds: tuple[NoticeRound, ...]  # G17: the runs of OGA's special notices

    def scheme(self, name: str) -> Scheme:
        try:
            return self.schemes[name]
        except KeyError:
            known = ", ".join(sorted(self.schemes))
            raise ValueError(f"--scheme: unknown scheme {name!r} (known: {known})") from None


def _read(folder: Path, name: str) -> dict[str, Any]:
    with (folder / name).open("rb") as file:
        return tomllib.load(file)


def _decimals(table: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: Decimal(v) if k in names else tuple(v) if isinstance(v, list) else v for k, v in table.items()}


def load_delimitations(raw: dict[str, Any]) -> dict[str, Delimitation]:
    delimitations = {}
    for ident, table in raw.items():
        areas = []
        for region in table["regions"]:
            dates = tuple(region["disaster_dates"])
            for community in region["communities"]:
                areas.append(
                    DelimitedArea(community["name"], "community", community["municipal_unit"], region["regional_unit"], dates)
                )
            for unit in region["municipal_units"]:
                areas.append(DelimitedArea(unit, "municipal_unit", unit, region["regional_unit"], dates))
        delimitations[ident] = Delimitation(ident, table["title"], table["source"], tuple(areas))
    return delimitations


def load_limits(raw: dict[str, Any]) -> Limits:
    amounts, dates = raw["amounts"], raw["dates"]
    limits = Limits(
        Decimal(amounts["max"]), amounts["max_integer_digits"], dates["earliest"], dates["latest"], dict(raw["text"])
    )
    if limits.max_amount.adjusted() >= limits.max_integer_digits:
        raise ValueError("limits.toml: [amounts] max has more digits than max_integer_digits")
    if not limits.earliest_date < limits.latest_date:
        raise ValueError("limits.toml: [dates] earliest is not before latest")
    return limits


@cache
def load_settings(folder: str | None = None) -> Settings:
    path = Path(folder or os.environ.get("LEDGER_CONFIG_DIR") or DEFAULT_CONFIG_DIR)
    schemes_raw = _read(path, "schemes.toml")
    rates_raw = _read(path, "surcharges.toml")
    clearance_raw = _read(path, "clearance.toml")
    delimitations = load_delimitations(_read(path, "delimitations.toml"))
    # A folder copied before the limits existed keeps working with the shipped ones.
    limits_folder = path if (path / "limits.toml").is_file() else DEFAULT_CONFIG_DIR
    limits = load_limits(_read(limits_folder, "limits.toml"))
    schemes: list[Scheme] = [
        Covid650(Covid650Parameters(**_decimals(schemes_raw["covid-650"], "min_instalment", "yearly_interest"))),
        Standing(StandingParameters(**_decimals(schemes_raw["standing"], "min_instalment", "yearly_interest"))),
        Disaster(DisasterParameters(**_decimals(schemes_raw["disaster"])), delimitations),
    ]
    surcharges = SurchargeRules(
        rates=tuple(RatePeriod(r["starts_on"], Decimal(r["yearly_rate"])) for r in rates_raw["rates"]),
        table_starts_on=rates_raw["table_starts_on"],
        legacy_first_month=Decimal(rates_raw["legacy_first_month"]),
        legacy_later_months=Decimal(rates_raw["legacy_later_months"]),
        legacy_cap=Decimal(rates_raw["legacy_cap"]),
    )
    clearance = ClearancePolicy(
        Decimal(clearance_raw["overdue_threshold"]),
        clearance_raw["months_valid_with_arrangement"],
        clearance_raw["months_valid_without_debt"],
    )
    notices = load_notice_rules(_read_or_shipped(path, "notices.toml"))
    oga = load_oga_rules(_read_or_shipped(path, "oga.toml"))
    apd = load_apd_rules(_read_or_shipped(path, "apd.toml"))
    rounds = tuple(NoticeRound(r["contributions"], r["first_period"], r["last_period"], r["deadline"])
                   for r in _read_or_shipped(path, "oga_statement.toml")["rounds"])
    return Settings({s.name: s for s in schemes}, surcharges, clearance, delimitations, limits, notices, oga, apd,
                    rounds)


def _read_or_shipped(folder: Path, name: str) -> dict[str, Any]:
    """A folder copied before the file existed keeps working with the shipped one (as limits.toml)."""
    return _read(folder if (folder / name).is_file() else DEFAULT_CONFIG_DIR, name)


def load_notice_rules(raw: dict[str, Any]) -> NoticeRules:
    return NoticeRules(bool(raw["auto"]), int(raw["invitation_days"]), int(raw["notice_days"]),
                       bool(raw["invitation_required"]), Decimal(raw["floor"]), tuple(raw.get("services", ())))


def load_oga_rules(raw: dict[str, Any]) -> OgaRules:
    amounts = ("category_amount", "pension", "sickness", "lae", "insured", "employer", "total")
    table = ContributionTable.of(
        MonthlyContribution(**{k: Decimal(v) if k in amounts else v for k, v in row.items()})
        for row in raw["contributions"])
    fees = {form: Decimal(fee) for form, fee in raw["form_fees"].items()}
    n4018_from = raw["prepayment"].get("n4018_from")
    if n4018_from is not None and type(n4018_from) is not date:
        raise ValueError("oga.toml: [prepayment] n4018_from is not a date YYYY-MM-DD")
    return OgaRules(table, fees, n4018_from)


def load_apd_rules(raw: dict[str, Any]) -> ApdRules:
    """``apd.toml``: the ΑΠΔ checks' dated data (K3, K5, K9, K10, K11, K13, K16, K17)."""
    def dated(rows: list[dict[str, Any]], name: str) -> Dated[Decimal]:
        return Dated.of([(row.get("from"), Decimal(row[name])) for row in rows])

    packages = {code: Package(code, dated(p["rates"], "rate"), bool(p["main_pension"]), bool(p["ika_main_pension"]))
                for code, p in raw["packages"].items()}
    cycles = tuple(Cycle(**cycle) for cycle in raw.get("cycles", ()))
    return ApdRules(packages, dated(raw["ceilings"]["old"], "amount"), dated(raw["ceilings"]["new"], "amount"),
                    dated(raw["daily_wage"], "amount"), frozenset(raw["types_without_days"]),
                    _callable(raw.get("trigger_94")), _callable(raw.get("trigger_52")), cycles)


def _callable(reference: str | None) -> Any:
    """K9, K10: a trigger named ``module:function``, or none."""
    if reference is None:
        return None
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)
