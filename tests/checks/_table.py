"""Helpers for the tables of wrong and correct learner solutions in tests/checks."""

from __future__ import annotations

import pytest

from coursekit.checks import CheckFailed


def assert_caught(check, *fns, fragment: str) -> str:
    """``check(*fns)`` must raise CheckFailed whose message contains ``fragment``; return the message."""
    with pytest.raises(CheckFailed) as info:
        check(*fns)
    message = str(info.value)
    assert fragment in message, f"expected {fragment!r} in:\n{message}"
    assert "Traceback" not in message
    return message


def assert_passes(check, *fns) -> None:
    """``check(*fns)`` must pass and return None."""
    assert check(*fns) is None
