"""Encryption at rest (domain F4): every event's and snapshot's stored state encrypted
by the library's cipher option, AES-GCM, under the key in ``LEDGER_CIPHER_KEY``.

Off unless that variable is set, on either store. Make a key with::

    python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"

The library's ``eventsourcing.cryptography:AESCipher`` is the one on ``cryptography``
(its ``eventsourcing.cipher`` one needs pycryptodome, which the ledger does not install);
the ledger's ``LedgerAESCipher`` is that one with its ``AESGCM`` built once, not at every
call (issue 19): the same bytes, each under a fresh random nonce.
A ledger is recorded with a key or without one for good: opening it with another key, or
without its key, or with a key when it was recorded without, is refused at once in one
line naming the variable (``check_cipher_key``), before any command reads or records.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import MapperDeserialisationError
from eventsourcing.utils import Environment

from ledger.errors import StoreUnavailable

CIPHER_KEY_VARIABLE = "LEDGER_CIPHER_KEY"
CIPHER_TOPIC = "ledger.store.encryption:LedgerAESCipher"
KEY_SIZES = (16, 24, 32)  # AES-128, -192, -256
MAKE_ONE = "python -c \"import base64, os; print(base64.b64encode(os.urandom(32)).decode())\""


class LedgerAESCipher(AESCipher):
    """The library's AES-GCM cipher (nonce ‖ tag ‖ ciphertext), its ``AESGCM`` kept: building
    one costs as much as encrypting a state. ``AESCipher`` is the reference its test
    decrypts against, both ways."""

    def __init__(self, environment: Environment):
        super().__init__(environment)
        self.aesgcm = AESGCM(self.key)

    def encrypt(self, plaintext: bytes) -> bytes:
        nonce = AESCipher.random_bytes(12)
        sealed = self.aesgcm.encrypt(nonce, plaintext, None)
        return nonce + sealed[-16:] + sealed[:-16]

    def decrypt(self, ciphertext: bytes) -> bytes:
        nonce, tag = ciphertext[:12], ciphertext[12:28]
        if len(nonce) != 12 or len(tag) != 16:
            return super().decrypt(ciphertext)  # the library's own error for a damaged text
        try:
            return self.aesgcm.decrypt(nonce, ciphertext[28:] + tag, None)
        except InvalidTag as error:
            raise ValueError("Invalid cipher tag") from error


def cipher_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The library's cipher settings for ``LEDGER_CIPHER_KEY`` in ``environ`` (none when it
    is unset or empty); a key that is not base64 of 16, 24 or 32 bytes is refused."""
    key = environ.get(CIPHER_KEY_VARIABLE, "").strip()
    if not key:
        return {}
    try:
        size = len(b64decode(key, validate=True))
    except (binascii.Error, ValueError):
        raise StoreUnavailable(CIPHER_KEY_VARIABLE, f"is not base64; make a key with: {MAKE_ONE}") from None
    if size not in KEY_SIZES:
        raise StoreUnavailable(CIPHER_KEY_VARIABLE,
                               f"is {size} bytes, an AES key is 16, 24 or 32; make one with: {MAKE_ONE}")
    return {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": key}


def check_cipher_key(app: Any) -> None:
    """The ledger's first stored event decodes with the cipher ``app`` was opened with
    (or without one); else ``StoreUnavailable`` naming ``LEDGER_CIPHER_KEY``. One event
    tells: every event of a ledger is written the same way."""
    first = app.recorder.select_notifications(1, 1)
    if not first:
        return
    try:
        app.mapper.to_domain_event(first[0])
    except MapperDeserialisationError:
        if app.mapper.cipher is None:
            raise StoreUnavailable(CIPHER_KEY_VARIABLE, "unset, but this ledger's events are encrypted: "
                                                        "set it to the ledger's key") from None
        raise StoreUnavailable(CIPHER_KEY_VARIABLE, "does not decrypt this ledger's events: a wrong key, "
                                                    "or a ledger recorded without one") from None
