"""The cyclic garbage collector waits out a kiter process's start-up and exit."""

from __future__ import annotations

import atexit
import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiter.cli.startup import defer_garbage_collection

CONTROL = Path(__file__).resolve().parents[2] / "control"


@pytest.fixture
def collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    atexit.unregister(gc.freeze)  # this test process exits as it would have
    gc.unfreeze()
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_until_the_timer_turns_it_back_on(collector_restored: None) -> None:
    gc.enable()
    timer = defer_garbage_collection(after=3600)
    assert timer is not None and timer.daemon
    assert not gc.isenabled()
    timer.cancel()
    timer.function()  # what the timer does when it fires
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # start-up's objects are out of later collections' way


def test_a_collector_someone_else_turned_off_is_left_to_them(collector_restored: None) -> None:
    gc.disable()
    assert defer_garbage_collection(after=0) is None
    assert not gc.isenabled()


def _collector_at_exit(call: str) -> str:
    """What a process that runs `call` says of the collector in its very last exit handler."""
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print(\n"
        "    'collector on' if gc.isenabled() else 'collector off',\n"
        "    'frozen' if gc.get_freeze_count() else 'not frozen',\n"
        "))\n"
        "sys.argv = ['kiter', '--version']\n"
        "from kiter.cli.main import main\n"
        f"{call}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(CONTROL)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def test_kiter_run_as_the_program_starts_without_the_collector_and_exits_frozen() -> None:
    assert _collector_at_exit("main()") == "collector off frozen"


def test_main_called_with_arguments_leaves_the_collector_alone() -> None:
    assert _collector_at_exit("main(['--version'])") == "collector on not frozen"
