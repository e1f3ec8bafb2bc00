"""F1, F2: verifying the ledger's hash chain, building it for a ledger written before
it, signing a checkpoint of its head, and checking a checkpoint against the log.

A checkpoint is signed only after the chain since the previous checkpoint verifies
from that checkpoint's link (the first one: from the first event): what is signed was
never changed since the last signature, and each check costs only the events since.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.persistence import IntegrityError

from aggregates.checkpoint import Checkpoint
from ledger import signing
from ledger.application import Ledger
from ledger.errors import BadInput
from ledger.i18n import N_
from ledger.store import chain
from ledger.store.chain import Verdict
from ledger.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

CHECKPOINT_EVENTS = (Checkpoint.Checkpointed.TOPIC,)
REWRITTEN = N_("the log up to position {checkpointed} does not give the checkpoint's link: it was rewritten "
               "before that position, or the checkpoint is of another ledger ({ledger}; this one is {this})")
NOTHING_TO_SIGN = ("the chain is empty: the ledger records nothing yet, or it was written before the chain "
                   "(ledger verify --init)")

Progress = Callable[[int], None]


class ChainBroken(Exception):
    """No checkpoint: the chain since the previous one does not verify (``verdict``)."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.reason)
        self.verdict = verdict


def verify_chain(ledger: Ledger, start: int = 1, progress: Progress | None = None) -> Verdict:
    """F1: the chain recomputed from the stored events, from position ``start``."""
    if start < 1:
        raise BadInput("--from", f"{start}: positions start at 1")
    return chain.verify(ledger, start, progress=progress)


def initialise_chain(ledger: Ledger, progress: Progress | None = None) -> tuple[int, Verdict]:
    """F1 for a ledger written before the chain: chain every stored event (one
    transaction, under the writers' lock), then verify it; how many it chained."""
    try:
        chained = chain.initialise(ledger, progress)
    except chain.AlreadyChained as error:
        raise BadInput("--init", str(error)) from None
    return chained, chain.verify(ledger, progress=progress)


def ledger_identity(ledger: Ledger) -> str | None:
    """The ledger a checkpoint names: the application's name and the start of its first
    event's link, which no other ledger shares (None while it has no chain)."""
    first = chain.first(ledger)
    return None if first is None else f"{ledger.name}:{first[1].hex()[:16]}"


def latest_checkpoint(ledger: Ledger) -> Checkpoint.Checkpointed | None:
    latest = None
    for notification in ledger.notifications(CHECKPOINT_EVENTS):
        latest = notification
    return None if latest is None else ledger.mapper.to_domain_event(latest)  # type: ignore[return-value]


def make_checkpoint(ledger: Ledger, key: Ed25519PrivateKey) -> dict[str, Any]:
    """F2: sign the chain's head and record the checkpoint (published on
    ``keao.checkpoints``); the checkpoint's document. ChainBroken if the chain since
    the previous checkpoint does not verify; BadInput if there is no chain to sign."""
    previous = latest_checkpoint(ledger)
    if previous is None:
        verdict = chain.verify(ledger)
    else:
        verdict = chain.verify(ledger, previous.position + 1, previous=bytes.fromhex(previous.link))
    if not verdict.intact:
        raise ChainBroken(verdict)
    if verdict.head is None:
        if previous is None:
            raise BadInput("checkpoint", NOTHING_TO_SIGN)
        return ledger.repository.get(previous.originator_id).document()  # nothing new since it
    position, link = verdict.head
    recorded_at = datetime.now(timezone.utc)
    document = signing.signed({"ledger": ledger_identity(ledger), "position": position, "link": link.hex(),
                                "recorded_at": recorded_at.isoformat(timespec="seconds")}, key)
    uow = UnitOfWork(ledger)
    uow.add(Checkpoint.record(document, uow.current_date() or recorded_at.date()))
    try:
        uow.commit()
    except IntegrityError:  # another process checkpointed this head first: that one stands
        return ledger.repository.get(Checkpoint.create_id(document["ledger"], position)).document()
    return document


def configured_signing_key() -> Ed25519PrivateKey | None:
    """The key ``LEDGER_SIGNING_KEY`` names, read (bad input naming it when it cannot be),
    or None when none is configured: the close of day reads it before it closes anything."""
    path = os.environ.get(signing.SIGNING_KEY)
    return signing.private_key(path) if path else None


def checkpoint_if_configured(ledger: Ledger, key: Ed25519PrivateKey | None) -> dict[str, Any] | None:
    """The close of day's checkpoint: made with ``key`` (``configured_signing_key``) when
    the ledger has a chain; a broken chain is logged (``ledger verify`` names where), not
    raised: the day is closed already."""
    if key is None or chain.head(ledger) is None:
        return None
    try:
        return make_checkpoint(ledger, key)
    except ChainBroken as broken:
        log.error("no checkpoint: the hash chain is broken: %s", broken.verdict.reason)
        return None


def verify_checkpoint(ledger: Ledger, document: Mapping[str, Any], key: Ed25519PublicKey,
                      progress: Progress | None = None) -> Verdict:
    """F2: ``document`` signed by ``key``, and the log up to its position giving its link,
    recomputed from the first event (the stored chain is not trusted)."""
    problem = signing.signature_problem(document, key)
    if problem is not None:
        return Verdict(False, 0, kind="signature", template=problem[0], details=problem[1])
    position = document["position"]
    verdict = chain.verify(ledger, stop=position, progress=progress, previous=chain.GENESIS)
    if not verdict.intact:
        return verdict
    if verdict.head != (position, bytes.fromhex(document["link"])):
        return Verdict(False, verdict.events, kind="rewritten", template=REWRITTEN, head=verdict.head,
                       details={"checkpointed": position, "ledger": document["ledger"],
                                "this": ledger_identity(ledger)})
    return verdict
