"""Room codes people read off a projector, and instructor secrets nobody can guess.

A code is six characters from ``ALPHABET``: capitals and digits without the
look-alikes 0/O, 1/I/L (and U/V, which blur on a projector): 29⁶ ≈ 595 million
codes. A code is found by anyone who has it, so it opens only what students may
do. What the instructor may do needs the secret: 24 random bytes (192 bits),
written URL-safe. The store keeps its SHA-256 digest only, and a given secret
is compared with ``hmac.compare_digest`` (no timing hint).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_LENGTH = 6
SECRET_BYTES = 24  # 192 bits; at least 128 asked for


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(text) -> str | None:
    """``text`` as a room code (capitals, spaces and dashes dropped), or None when it cannot be one."""
    code = str(text).strip().upper().replace(" ", "").replace("-", "")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> str:
    return hashlib.sha256(str(secret).encode("utf-8")).hexdigest()


def matches(secret, stored_digest: str) -> bool:
    """Whether ``secret`` is the one whose digest was stored (False for None or an empty secret)."""
    if not secret or not stored_digest:
        return False
    return hmac.compare_digest(digest(secret), stored_digest)
