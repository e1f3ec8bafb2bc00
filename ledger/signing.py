"""F2: the Ed25519 keys of the ledger's checkpoints, and signing and checking one.

The private key is a PEM file named by ``LEDGER_SIGNING_KEY``, made with
``openssl genpkey -algorithm ed25519 -out signing-key.pem``; its public key, for
whoever checks a checkpoint, with ``openssl pkey -in signing-key.pem -pubout -out
verify-key.pem`` (``LEDGER_VERIFY_KEY`` or ``ledger verify --public-key``).

A checkpoint's signature is over the canonical JSON of its other fields (sorted keys,
no spaces, UTF-8): anyone can recompute those bytes from the document alone.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from hashlib import sha256
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import BadInput
from ledger.i18n import N_

SIGNING_KEY = "LEDGER_SIGNING_KEY"
VERIFY_KEY = "LEDGER_VERIFY_KEY"

WRONG_KEY = N_("the checkpoint was signed by the key {signed_by}, not by the public key given ({given})")
FORGED = N_("the checkpoint's signature does not match its fields: it was forged or changed")


def private_key(path: str) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file ``path`` (``LEDGER_SIGNING_KEY``)."""
    key = _loaded(path, SIGNING_KEY, lambda data: serialization.load_pem_private_key(data, password=None))
    if not isinstance(key, Ed25519PrivateKey):
        raise BadInput(SIGNING_KEY, f"{path} is not an Ed25519 private key (openssl genpkey -algorithm ed25519)")
    return key


def public_key(path: str, field: str) -> Ed25519PublicKey:
    """The Ed25519 public key in the PEM file ``path``; ``field`` names where it was given."""
    key = _loaded(path, field, serialization.load_pem_public_key)
    if not isinstance(key, Ed25519PublicKey):
        raise BadInput(field, f"{path} is not an Ed25519 public key (openssl pkey -in KEY -pubout)")
    return key


def _loaded(path: str, field: str, load: Any) -> Any:
    try:
        return load(Path(path).read_bytes())
    except OSError as error:
        raise BadInput(field, f"cannot read {path}: {error.strerror}") from None
    except (ValueError, TypeError) as error:  # not PEM, or a key of a kind it cannot read, or encrypted
        raise BadInput(field, f"{path} is not a PEM key: {error}") from None


def key_id(key: Ed25519PublicKey) -> str:
    """The public key's fingerprint: the first 16 bytes of SHA-256 over its raw 32 bytes, in hex."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256(raw).hexdigest()[:32]


def canonical(document: Mapping[str, Any]) -> bytes:
    """The bytes signed: every field but the signature, as canonical JSON."""
    fields = {name: value for name, value in document.items() if name != "signature"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed(fields: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``fields`` with the key's id and the signature over them both."""
    document = {**fields, "key_id": key_id(key.public_key())}
    return {**document, "signature": base64.b64encode(key.sign(canonical(document))).decode()}


def signature_problem(document: Mapping[str, Any], key: Ed25519PublicKey) -> tuple[str, dict[str, Any]] | None:
    """Why ``document`` is not signed by ``key``: WRONG_KEY or FORGED and what fills it; or None."""
    given = key_id(key)
    if document.get("key_id") != given:
        return WRONG_KEY, {"signed_by": document.get("key_id"), "given": given}
    try:
        key.verify(base64.b64decode(str(document.get("signature", "")), validate=True), canonical(document))
    except (InvalidSignature, binascii.Error):
        return FORGED, {}
    return None
