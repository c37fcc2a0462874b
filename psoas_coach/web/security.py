"""Passwords (argon2id), login tokens and CSRF tokens.

The login cookie carries a random 256-bit token; the database keeps only its SHA-256, so a
copy of the database does not let anyone log in. Each login has its own CSRF token, which every
state-changing request must send back (form field ``csrf_token`` or header ``X-CSRF-Token``).
Before login, the sign-up and login forms use a double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: Cookie with the login token (HttpOnly, SameSite=Lax).
SESSION_COOKIE = "psoas_session"
#: Cookie with the pre-login CSRF token of the sign-up and login forms.
PRELOGIN_CSRF_COOKIE = "psoas_csrf"
#: Header a JSON client sends the CSRF token in.
CSRF_HEADER = "X-CSRF-Token"
#: Form field the pages send the CSRF token in.
CSRF_FIELD = "csrf_token"
#: Shortest accepted password, characters.
MIN_PASSWORD_LENGTH = 8
#: Longest accepted password, characters (bounds the hashing work a request can ask for).
MAX_PASSWORD_LENGTH = 1000

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; parameters from argon2-cffi's defaults)."""
    return _hasher.hash(password)


def password_problem(password: str) -> str | None:
    """What is wrong with ``password`` as a new password (the sign-up rules), or ``None``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password is too short: at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password is too long: at most {MAX_PASSWORD_LENGTH} characters"
    return None


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    return _hasher.check_needs_rehash(password_hash)


#: A hash to verify against when the e-mail is unknown, so both cases take the same time.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def new_token() -> str:
    """A random URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 of a login token, hex: what the database stores."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two tokens; False when either is missing or empty."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
