"""The integrity commands of the ``ledger`` CLI (interfaces §1.6, domain F1, F2):
``ledger verify`` the hash chain, from the stored events alone or against a signed
checkpoint, and ``ledger checkpoint``. ``ledger.entrypoints.cli`` registers them.

``verify`` exits 0 when intact, 1 when broken (the first broken position and what
differs), 2 on bad input; with ``--json`` it prints the verdict in both first cases.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from aggregates.checkpoint import FIELDS
from ledger import signing
from ledger.entrypoints import labels
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.options import FLAG, JsonFlag
from ledger.entrypoints.output import console, line, print_json, text
from ledger.errors import BadInput
from ledger.handlers.integrity import (
    ChainBroken,
    initialise_chain,
    make_checkpoint,
    verify_chain,
    verify_checkpoint,
)
from ledger.i18n import _
from ledger.store import chain
from ledger.store.chain import Verdict

HEX_LINK = re.compile(r"[0-9a-f]{64}")


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int], None]]:
    """A bar on stderr, only on a terminal (as ``debt import``'s), over the positions to
    check; yields what a verification calls with the position it has reached."""
    ledger = services.ledger()
    hidden = not sys.stderr.isatty()
    with typer.progressbar(length=0 if hidden else chain.last_position(ledger), label=label, file=sys.stderr,
                           hidden=hidden) as bar:
        reached = [0]

        def advance(position: int) -> None:
            bar.update(position - reached[0])
            reached[0] = position

        yield advance


def show_verdict(verdict: Verdict, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    """Print the verdict; exit 1 when broken."""
    if as_json:
        print_json({**verdict.as_json(), **(extra or {})})
    elif verdict.intact:
        console.print(line(_("intact: {events} events verified"), events=text(verdict.events, style="bold green")))
    else:
        console.print(line(_("broken: {reason}"), reason=text(labels.say(verdict.reason or ""), style="bold red")))
    if not verdict.intact:
        raise SystemExit(1)  # not typer.Exit: click returns its code, which main() would drop


def verify(
    start: Annotated[int, typer.Option("--from", metavar="POSITION", help=_(
        "Verify from this position on, trusting the stored link before it (default: the first event)."))] = 1,
    init: Annotated[bool, typer.Option("--init", metavar=FLAG, help=_(
        "Build the chain of a ledger written before it, for every stored event, then verify it (once)."))] = False,
    checkpoint: Annotated[Optional[str], typer.Option("--checkpoint", metavar="FILE", help=_(
        "Check a signed checkpoint (the JSON of `ledger checkpoint --json`) against the log, from its first "
        "event."))] = None,
    public_key: Annotated[Optional[str], typer.Option("--public-key", metavar="FILE", help=_(
        "The checkpoints' Ed25519 public key, PEM (default: env LEDGER_VERIFY_KEY)."))] = None,
    as_json: JsonFlag = False,
) -> None:
    if sum((start != 1, init, checkpoint is not None)) > 1:
        raise BadInput("--from", "--from, --init and --checkpoint go one at a time")
    if checkpoint is None and public_key is not None:
        raise BadInput("--public-key", "only with --checkpoint")
    ledger = services.ledger()
    if checkpoint is not None:
        document = read_checkpoint(checkpoint)
        key = verify_key(public_key)
        with progress_bar(_("verifying up to the checkpoint")) as advance:
            verdict = verify_checkpoint(ledger, document, key, advance)
        show_verdict(verdict, as_json, {"checkpoint": document["position"]})
    elif init:
        with progress_bar(_("chaining and verifying")) as advance:
            chained, verdict = initialise_chain(ledger, advance)
        show_verdict(verdict, as_json, {"chained": chained})
    else:
        with progress_bar(_("verifying")) as advance:
            verdict = verify_chain(ledger, start, advance)
        show_verdict(verdict, as_json)


def checkpoint_command(as_json: JsonFlag = False) -> None:
    path = os.environ.get(signing.SIGNING_KEY)
    if not path:
        raise BadInput(signing.SIGNING_KEY, "not set: the path of the Ed25519 private key (PEM) that signs "
                                            "checkpoints (openssl genpkey -algorithm ed25519 -out FILE)")
    try:
        document = make_checkpoint(services.ledger(), signing.private_key(path))
    except ChainBroken as broken:
        show_verdict(broken.verdict, as_json)
        return
    if as_json:
        print_json(document)
    else:
        console.print(line(_("checkpoint of {ledger} at position {position}, signed by key {key_id}"), document))


def read_checkpoint(path: str) -> dict[str, Any]:
    """The checkpoint document in the file ``path``, its fields of the right form."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInput("--checkpoint", f"cannot read {path}: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BadInput("--checkpoint", f"{path} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise BadInput("--checkpoint", f"{path} holds no checkpoint (a JSON object of {', '.join(FIELDS)})")
    missing = [name for name in FIELDS if not isinstance(document.get(name), int if name == "position" else str)]
    if missing:
        raise BadInput("--checkpoint", f"{path}: missing or not of its type: {', '.join(missing)}")
    if document["position"] < 1 or not HEX_LINK.fullmatch(document["link"]):
        raise BadInput("--checkpoint", f"{path}: position must be 1 or more and link 64 hex digits")
    return document


def verify_key(path: str | None) -> Any:
    if path is not None:
        return signing.public_key(path, "--public-key")
    configured = os.environ.get(signing.VERIFY_KEY)
    if not configured:
        raise BadInput("--public-key", f"required with --checkpoint (or env {signing.VERIFY_KEY})")
    return signing.public_key(configured, signing.VERIFY_KEY)


def register(cli: typer.Typer) -> None:
    cli.command("verify", help=_("Recompute the hash chain from the stored events (F1): exit 0 when intact, 1 "
                                 "with the first broken position and what differs."))(verify)
    cli.command("checkpoint", help=_("Sign the chain's head with LEDGER_SIGNING_KEY and record it, published on "
                                     "keao.checkpoints (F2); --json prints the document an auditor keeps."))(
        checkpoint_command)
