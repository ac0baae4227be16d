"""Make untrusted text (prompts, metadata, API messages) safe to print in a terminal."""

from __future__ import annotations

import re
import time
import unicodedata

# C0/C1 controls, DEL, bidi marks that could reorder the screen, and invisible characters
# (zero-width, joiners, word joiner, BOM, soft hyphen, line/paragraph separators) that could make
# two prompts or ids look alike.
_UNSAFE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control or reordering character shown as a visible escape.

    Newlines and tabs become spaces unless ``keep_newlines``; nothing can reach the
    terminal as an escape sequence.
    """
    if not keep_newlines:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    else:
        text = text.replace("\r\n", "\n").replace("\t", "    ")
    text = text.replace("\r", "\\r")
    return _UNSAFE.sub(_escape, text)


def one_line(text: str, limit: int) -> str:
    """A printable single-line excerpt of at most ``limit`` terminal cells."""
    flat = printable(" ".join(text.split()))
    cells = 0
    for index, char in enumerate(flat):
        width = 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if cells + width > limit:
            return flat[: max(0, index - 1)] + "…"
        cells += width
    return flat


def local_time(at: float | None, missing: str = "—") -> str:
    """A wall-clock timestamp as local date and time, or ``missing`` when unknown."""
    if at is None:
        return missing
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


#: Whitespace a shell or terminal would act on when pasted (newlines run commands).
_PASTE_UNSAFE = re.compile(r"[\t\n\r\u0085]")


def safe_to_copy(text: str) -> bool:
    """True when ``text`` holds no control, bidi or invisible character: pasting it runs nothing.

    A newline or a bracketed-paste terminator in a copied URL could run commands when pasted
    into a shell, so such text is refused rather than copied.
    """
    return not (_UNSAFE.search(text) or _PASTE_UNSAFE.search(text))
