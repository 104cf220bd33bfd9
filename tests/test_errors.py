"""Exceptions from user code and torch become one line, as the CLI prints every error."""

from __future__ import annotations

from costlab.errors import describe, first_line


def test_multi_line_messages_keep_their_first_line():
    error = RuntimeError("shapes do not match\n  at layer 3\n  (see above)")
    assert describe(error) == "RuntimeError: shapes do not match"
    assert first_line(error) == "shapes do not match"


def test_a_message_less_exception_is_named_by_its_type():
    assert describe(KeyError()) == "KeyError" and first_line(ValueError("  ")) == "ValueError"
