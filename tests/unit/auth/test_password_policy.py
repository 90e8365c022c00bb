"""Password rules: 12 characters at least, the common-password list, not the address."""

from __future__ import annotations

import pytest

from a2n.auth.password_policy import MIN_LENGTH, is_common, password_problem

COMMON = ["password1234", "qwertyuiop123", "123456789012", "correcthorsebatterystaple"]


@pytest.mark.parametrize("password", COMMON)
def test_commonly_used_passwords_are_refused(password: str) -> None:
    assert is_common(password)
    assert password_problem(password) == "is one of the most commonly used passwords; choose another"


def test_short_passwords_are_refused_before_the_list_is_asked() -> None:
    assert password_problem("x" * (MIN_LENGTH - 1)) == "must be at least 12 characters"
    assert password_problem("x" * 1025) == "must be at most 1024 characters"


def test_the_address_itself_is_refused() -> None:
    assert password_problem("Ada.Lovelace@Example.com", email="ada.lovelace@example.com") == (
        "must not be your email address"
    )


@pytest.mark.parametrize("password", ["correct horse battery staple", "a completely new passphrase 9"])
def test_an_uncommon_long_password_is_accepted(password: str) -> None:
    assert password_problem(password) is None
