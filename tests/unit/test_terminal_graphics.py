"""Choosing the preview's picture protocol (issue 14): the environment's rules, and the Sixel question
asked of a real pseudo-terminal that answers yes, no, or nothing, early enough that its answer is
usually in before it is wanted (issue 15)."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import termios
import threading
import time
from collections.abc import Iterator

import pytest

from seedance_tui import terminal_graphics
from seedance_tui.terminal_graphics import (
    PROBE_TIMEOUT,
    SIXEL_QUERY,
    Graphics,
    SixelQuestion,
    ask_sixel_early,
    cell_pixels,
    choose,
    graphics_for_this_terminal,
)

KITTY = {"TERM": "xterm-kitty"}


def never() -> bool:
    raise AssertionError("the terminal was asked although the environment decides")


def test_the_environment_decides_when_it_can_and_tmux_always_means_half_blocks() -> None:
    assert choose("auto", {**KITTY, "TMUX": "/tmp/tmux-0/default,1,0"}, never) == Graphics.HALFBLOCK
    assert choose("auto", {"TERM": "screen-256color"}, never) == Graphics.HALFBLOCK
    assert choose("auto", KITTY, never) == Graphics.KITTY
    assert choose("auto", {"TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"}, never) == Graphics.KITTY


def test_otherwise_the_terminals_answer_decides_and_no_answer_means_half_blocks() -> None:
    xterm = {"TERM": "xterm-256color"}
    assert choose("auto", xterm, lambda: True) == Graphics.SIXEL
    assert choose("auto", xterm, lambda: False) == Graphics.HALFBLOCK
    assert choose("auto", xterm, None) == Graphics.HALFBLOCK  # no terminal to ask


def test_a_chosen_protocol_is_used_as_is() -> None:
    assert choose("sixel", {"TMUX": "x"}, never) == Graphics.SIXEL
    assert choose("halfblock", KITTY, never) == Graphics.HALFBLOCK
    with pytest.raises(ValueError):
        choose("braille", {}, never)


def test_with_no_terminal_nothing_is_asked() -> None:
    # pytest's stdin is no terminal: auto resolves at once, and nothing is written to stdout.
    assert ask_sixel_early("auto", {"TERM": "xterm-256color"}) is None
    assert graphics_for_this_terminal("auto", None, {"TERM": "xterm-256color"}) == Graphics.HALFBLOCK
    assert graphics_for_this_terminal("auto", None, KITTY) == Graphics.KITTY
    assert graphics_for_this_terminal("kitty", None, {}) == Graphics.KITTY


def test_without_textual_image_auto_means_half_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal_graphics, "graphics_installed", lambda: False)
    assert graphics_for_this_terminal("auto", None, KITTY) == Graphics.HALFBLOCK
    assert (
        graphics_for_this_terminal("sixel", None, {}) == Graphics.SIXEL
    )  # asked for: the pane says what is missing


@pytest.fixture
def pty() -> Iterator[tuple[int, int]]:
    """(the terminal's side, the program's side) of a real pseudo-terminal."""
    terminal, program = os.openpty()
    yield terminal, program
    os.close(terminal)
    os.close(program)


def answering(terminal: int, reply: bytes) -> threading.Thread:
    """A terminal that answers ``reply`` to the Sixel question (and checks it was that question)."""

    def run() -> None:
        asked = b""
        while not asked.endswith(SIXEL_QUERY):
            asked += os.read(terminal, 64)
        os.write(terminal, reply)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("reply", "sixel"),
    [
        (b"\x1b[?80;2$y", True),  # known, reset (xterm with Sixel, foot, WezTerm…)
        (b"\x1b[?80;1$y", True),
        (b"\x1b[?80;0$y", False),  # not recognised
        (b"\x1b[?62;22c", False),  # some other answer: not taken for a yes
    ],
)
def test_a_terminal_that_answers_is_believed(pty: tuple[int, int], reply: bytes, sixel: bool) -> None:
    terminal, program = pty
    before = termios.tcgetattr(program)
    thread = answering(terminal, reply)
    assert SixelQuestion(program, program, timeout=5.0).answer() is sixel
    thread.join(5)
    assert termios.tcgetattr(program) == before  # the terminal's mode is given back


def test_a_terminal_that_answers_nothing_costs_at_most_the_timeout(pty: tuple[int, int]) -> None:
    terminal, program = pty
    before = termios.tcgetattr(program)
    start = time.perf_counter()
    assert SixelQuestion(program, program).answer() is False
    spent = time.perf_counter() - start
    assert PROBE_TIMEOUT <= spent < PROBE_TIMEOUT + 0.05, spent  # slack for a loaded machine
    assert termios.tcgetattr(program) == before
    assert os.read(terminal, 64) == SIXEL_QUERY  # the one question, and nothing else


def test_an_answer_in_before_it_is_wanted_counts_though_the_deadline_has_passed(
    pty: tuple[int, int],
) -> None:
    # The dashboard asks before loading its code and reads the answer ~100 ms later.
    terminal, program = pty
    before = termios.tcgetattr(program)
    question = SixelQuestion(program, program, timeout=0.0)
    assert termios.tcgetattr(program) != before  # no echo while the answer may arrive
    answering(terminal, b"\x1b[?80;2$y").join(5)
    assert select.select([program], [], [], 5)[0]  # the reply has reached the program's side
    assert question.answer() is True
    assert question.answer() is True  # read once
    assert termios.tcgetattr(program) == before


def test_a_question_closed_unanswered_gives_the_mode_back_and_means_no(pty: tuple[int, int]) -> None:
    _, program = pty
    before = termios.tcgetattr(program)
    question = SixelQuestion(program, program, timeout=0.0)
    question.close()  # the dashboard did not start (Ctrl+C while loading)
    question.close()
    assert termios.tcgetattr(program) == before
    assert question.answer() is False


def test_an_answer_that_came_is_read_when_closed_not_left_for_the_shell(pty: tuple[int, int]) -> None:
    terminal, program = pty
    question = SixelQuestion(program, program, timeout=0.0)
    answering(terminal, b"\x1b[?80;2$y").join(5)
    assert select.select([program], [], [], 5)[0]
    question.close()  # the dashboard stopped on an error before it wanted the answer
    assert not select.select([program], [], [], 0)[0]  # nothing left for the shell to read as typed


def test_keys_pasted_while_asked_are_not_read_for_ever(pty: tuple[int, int]) -> None:
    terminal, program = pty
    question = SixelQuestion(program, program, timeout=0.0)
    os.write(terminal, b"x" * 4000)  # no answer among them
    assert select.select([program], [], [], 5)[0]
    assert question.answer() is False


def test_something_that_is_no_terminal_is_not_asked() -> None:
    read_end, write_end = os.pipe()
    try:
        assert SixelQuestion.ask(read_end, write_end) is None
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_terminal_that_hangs_up_while_asked_means_no() -> None:
    terminal, program = os.openpty()
    try:
        question = SixelQuestion(program, program, timeout=0.0)
        os.close(terminal)  # the terminal's side goes away (an SSH connection drops)
        assert question.answer() is False  # no endless read of the hang-up, no error
    finally:
        os.close(program)


def test_the_cell_size_comes_from_the_window_size_else_the_environment_else_a_vt340(
    pty: tuple[int, int],
) -> None:
    _, program = pty
    fcntl.ioctl(program, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 1800, 1100))
    assert cell_pixels(program, {}) == (9, 22)
    fcntl.ioctl(program, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    assert cell_pixels(program, {"TEXTUAL_CELL_WIDTH": "8", "TEXTUAL_CELL_HEIGHT": "16"}) == (8, 16)
    assert cell_pixels(program, {}) == (10, 20)
    assert cell_pixels(-1, {}) == (10, 20)
