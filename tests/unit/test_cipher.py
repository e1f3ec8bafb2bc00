"""F4: the ledger's cipher is the library's AES-GCM, its key schedule kept (issue 19):
each reads what the other wrote, and a damaged text is refused alike."""

from __future__ import annotations

import base64
import os

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from ledger.store.encryption import CIPHER_KEY_VARIABLE, LedgerAESCipher, cipher_env


def environment(key: bytes) -> Environment:
    return Environment(env=cipher_env({CIPHER_KEY_VARIABLE: base64.b64encode(key).decode()}))


@pytest.mark.parametrize("size", [16, 24, 32])
def test_each_reads_what_the_other_wrote(size):
    key = os.urandom(size)
    ours, library = LedgerAESCipher(environment(key)), AESCipher(environment(key))
    for plaintext in (b"", b"{}", os.urandom(1_000), "Παπαδόπουλος".encode()):
        assert library.decrypt(ours.encrypt(plaintext)) == plaintext
        assert ours.decrypt(library.encrypt(plaintext)) == plaintext
        assert ours.encrypt(plaintext) != ours.encrypt(plaintext)  # a fresh nonce each time
        assert len(ours.encrypt(plaintext)) == len(plaintext) + 28  # nonce 12, tag 16


def test_a_damaged_or_foreign_text_is_refused_as_the_library_refuses_it():
    key = os.urandom(32)
    ours, library = LedgerAESCipher(environment(key)), AESCipher(environment(key))
    stored = bytearray(ours.encrypt(b'{"amount":"12.50"}'))
    stored[-1] ^= 1
    other = LedgerAESCipher(environment(os.urandom(32))).encrypt(b"{}")
    for damaged in (bytes(stored), other, b"short"):
        with pytest.raises(ValueError) as by_us:
            ours.decrypt(damaged)
        with pytest.raises(ValueError) as by_library:
            library.decrypt(damaged)
        assert str(by_us.value) == str(by_library.value)


def test_the_ledger_asks_the_library_for_its_own_cipher():
    assert cipher_env({CIPHER_KEY_VARIABLE: base64.b64encode(os.urandom(32)).decode()})["CIPHER_TOPIC"] == \
        "ledger.store.encryption:LedgerAESCipher"
