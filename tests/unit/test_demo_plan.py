"""The demo's plan: each step records what it says, on the day it is planned for."""

from __future__ import annotations

from ledger import demo
from ledger.demo import Scenario


class RecordingLedger:
    def __init__(self):
        self.transfers = []


def record_transfer(ledger, transfer):
    ledger.transfers.append(transfer)


def test_each_fund_transfer_is_recorded_on_its_own_day(monkeypatch):
    monkeypatch.setattr(demo, "record_transfer", record_transfer)  # the handler, recording instead
    scenario = Scenario()
    steps = [s for s in scenario.build() if s.label.startswith("transfer ")]
    assert len({s.label for s in steps}) < len(steps)  # debtors with several transfers
    for step in steps:
        ledger = RecordingLedger()
        step.run(ledger)
        assert [t.business_date for t in ledger.transfers] == [step.on], step.label
