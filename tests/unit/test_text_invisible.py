"""Invisible characters are shown escaped, like every other control (look-alike prompts and ids)."""

from __future__ import annotations

import pytest

from seedance_tui.text import one_line, printable, safe_to_copy

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u061c", "\u2028", "\u00ad"]


@pytest.mark.parametrize("char", INVISIBLE)
def test_invisible_characters_are_escaped(char: str) -> None:
    shown = printable(f"req{char}1")
    assert char not in shown
    assert f"\\u{ord(char):04x}" in shown or f"\\x{ord(char):02x}" in shown
    assert char not in one_line(f"a{char}b", 20)


def test_ordinary_text_is_unchanged() -> None:
    text = "日本語 🎬 مرحبا café"
    assert printable(text) == text and safe_to_copy(text)


@pytest.mark.parametrize(
    "text", ["a\nb", "a\rb", "x\x1b[201~y", "a\u202eb", "a\u200bb", "bell\a", "tab\there"]
)
def test_unsafe_text_is_not_copied(text: str) -> None:
    assert not safe_to_copy(text)
