"""Issue 12, finding 6: a command that loses an optimistic-concurrency race is run
again from a fresh read (``ledger.handlers.common.retried``), a bounded number of
times with a short, growing, jittered wait; anything else is not retried."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError, RecordConflictError

from ledger.errors import BadInput
from ledger.handlers.common import CONFLICT_ATTEMPTS, MAX_BACKOFF, backoff, retried


def conflicting(times: int, error: type[Exception] = IntegrityError):
    """An attempt that conflicts ``times`` times, then returns its number; the numbers it was called with."""
    calls: list[int] = []

    def attempt(number: int) -> int:
        calls.append(number)
        if len(calls) <= times:
            raise error("duplicate key value violates unique constraint")
        return number

    return attempt, calls


@pytest.mark.parametrize("error", [IntegrityError, RecordConflictError])
def test_a_conflict_is_retried_until_an_attempt_commits(error: type[Exception]) -> None:
    attempt, calls = conflicting(3, error)
    waits: list[float] = []
    assert retried(attempt, sleep=waits.append) == 4
    assert calls == [1, 2, 3, 4]
    assert len(waits) == 3
    for number, wait in enumerate(waits, start=1):  # 20 ms, 40 ms, 80 ms, each down to half of it
        assert 0.01 * 2 ** number / 2 <= wait <= 0.01 * 2 ** number


def test_the_last_conflict_is_raised_after_the_bounded_attempts() -> None:
    attempt, calls = conflicting(CONFLICT_ATTEMPTS)
    waits: list[float] = []
    with pytest.raises(IntegrityError):
        retried(attempt, sleep=waits.append)
    assert calls == list(range(1, CONFLICT_ATTEMPTS + 1))
    assert len(waits) == CONFLICT_ATTEMPTS - 1
    assert 0 < sum(waits) <= CONFLICT_ATTEMPTS * MAX_BACKOFF


def test_a_refusal_is_not_retried() -> None:
    calls: list[int] = []

    def refused(number: int) -> None:
        calls.append(number)
        raise BadInput("afm", "debtor 100000003 is already registered")

    with pytest.raises(BadInput) as error:
        retried(refused, sleep=lambda seconds: None)
    assert str(error.value) == "afm: debtor 100000003 is already registered"
    assert calls == [1]


@pytest.mark.parametrize("attempt, low, high", [(1, 0.01, 0.02), (3, 0.04, 0.08), (6, 0.25, 0.5), (30, 0.25, 0.5)])
def test_the_backoff_doubles_with_jitter_up_to_its_cap(attempt: int, low: float, high: float) -> None:
    waits = [backoff(attempt) for _ in range(200)]
    assert low <= min(waits) and max(waits) <= high
    assert len(set(waits)) > 1  # jittered: racing writers fall out of step
