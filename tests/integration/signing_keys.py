"""Ed25519 key files for the checkpoints' tests (F2), as ``openssl genpkey -algorithm
ed25519`` and ``openssl pkey -pubout`` write them: PEM, PKCS#8 and SubjectPublicKeyInfo."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def key_files(folder: Path, name: str) -> tuple[Path, Path]:
    """A new key pair written in ``folder``: (private key file, public key file)."""
    key = Ed25519PrivateKey.generate()
    private, public = folder / f"{name}.pem", folder / f"{name}.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public
