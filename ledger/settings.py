"""Configuration: scheme parameters, surcharge rates, clearance policy and the
disaster delimitations, read from the TOML files in ``ledger/config/``.

``LEDGER_CONFIG_DIR`` points at another folder of the same files, so that an
operator changes a [P] policy value without touching code.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from aggregates.clearance import ClearancePolicy
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
class Settings:
    schemes: dict[str, Scheme]
    surcharges: SurchargeRules
    clearance: ClearancePolicy
    delimitations: dict[str, Delimitation]

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


@cache
def load_settings(folder: str | None = None) -> Settings:
    path = Path(folder or os.environ.get("LEDGER_CONFIG_DIR") or DEFAULT_CONFIG_DIR)
    schemes_raw = _read(path, "schemes.toml")
    rates_raw = _read(path, "surcharges.toml")
    clearance_raw = _read(path, "clearance.toml")
    delimitations = load_delimitations(_read(path, "delimitations.toml"))
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
    return Settings({s.name: s for s in schemes}, surcharges, clearance, delimitations)
