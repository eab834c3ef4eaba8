"""The status lines of waits (kiter.cli.progress): rewritten in place on a terminal, one per job,
without colour under NO_COLOR; off a terminal heartbeat lines under each job's name; nothing
with --quiet."""

from __future__ import annotations

from io import StringIO

import pytest
from rich.console import Console

from kiter.cli.app import App
from kiter.cli.progress import Board
from kiter_support import FakeTime

NOW = 1_777_000_000.0


def terminal() -> tuple[Console, StringIO]:
    screen = StringIO()
    return Console(file=screen, force_terminal=True, width=120), screen


def test_on_a_terminal_each_running_job_has_a_line_rewritten_in_place() -> None:
    console, screen = terminal()
    printed: list[str] = []
    clock = FakeTime(now=NOW)
    with Board(printed.append, console=console, clock=clock.clock) as board:
        board.line("top_errors").update("step s-1 RUNNING", NOW - 125)
        board.line("clicks").update("job run 00f QUEUED", None, "application 00a")
        clock.advance(10)

    drawn = screen.getvalue()
    # Drawn, then the cursor goes back up over the lines to erase them (no line is left behind).
    assert drawn.endswith("\x1b[1A\x1b[2K\x1b[1A\x1b[2K")
    assert "top_errors: step s-1 RUNNING for 2m15s" in drawn
    assert "clicks: job run 00f QUEUED for 10s · application 00a" in drawn
    assert printed == []  # no heartbeat lines besides


def test_with_no_color_the_terminal_lines_carry_no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    console, screen = terminal()
    with Board(print, console=console, clock=lambda: NOW) as board:
        board.line().update("statement 1 RUNNING", NOW - 3)

    assert "statement 1 RUNNING for 3s" in screen.getvalue()
    assert "\x1b[36m" not in screen.getvalue()


def test_off_a_terminal_each_job_beats_under_its_name_once_a_minute() -> None:
    printed: list[str] = []
    clock = FakeTime(now=NOW)
    board = Board(printed.append, clock=clock.clock, ticker=False)
    board.line("top_errors").update("step s-1 RUNNING", NOW - 300)
    board.line("clicks").update("Pig 4242 running", NOW, "clicks_pig")
    for _ in range(120):
        clock.advance(1)
        board.tick()

    assert printed == [
        "top_errors: step s-1 RUNNING for 6m00s",
        "clicks: Pig 4242 running for 1m00s · clicks_pig",
        "top_errors: step s-1 RUNNING for 7m00s",
        "clicks: Pig 4242 running for 2m00s · clicks_pig",
    ]


def test_a_wait_that_ended_beats_no_more() -> None:
    printed: list[str] = []
    clock = FakeTime(now=NOW)
    board = Board(printed.append, clock=clock.clock, ticker=False)
    line = board.line()
    line.update("statement 2 RUNNING", NOW)
    line.done()
    clock.advance(600)
    board.tick()

    assert printed == []


def test_quiet_shows_no_status_line(capsys: pytest.CaptureFixture[str]) -> None:
    with App(quiet=True).board() as board:
        board.heartbeat = 0  # a heartbeat due at once: it would print, were it not quiet
        line = board.line()
        line.update("step s-1 RUNNING", NOW)
        board.tick()

    assert capsys.readouterr().err == ""


def test_an_aws_call_unanswered_for_a_second_is_said_once_on_a_line_of_its_own() -> None:
    printed: list[str] = []
    clock = FakeTime(now=NOW)
    board = Board(printed.append, clock=clock.clock, ticker=False)
    with board.calls("DynamoDB TransactWriteItems"):
        for _ in range(3):
            clock.advance(1)
            board.tick()

    assert printed == ["waiting for DynamoDB TransactWriteItems (1s)"]


def test_an_aws_call_inside_a_wait_a_target_already_shows_is_not_shown_twice() -> None:
    printed: list[str] = []
    clock = FakeTime(now=NOW)
    board = Board(printed.append, clock=clock.clock, ticker=False)
    line = board.line("top_errors")
    with line.calling("EMR DescribeStep"), board.calls("EMR DescribeStep"):
        clock.advance(2)
        board.tick()

    assert printed == ["top_errors: waiting for EMR DescribeStep (2s)"]
