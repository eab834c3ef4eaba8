"""The local Pig engine, installed once per test session (mvn, into the user's kiter cache)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiter.local import pigengine
from kiter.local.pigengine import PigEngine
from kiter.targets.base import Outcome, Script, Unwatched
from kiter.targets.pig import PigTarget


@pytest.fixture(scope="session")
def pig_engine() -> PigEngine:
    return pigengine.ENGINE.install()


RunPig = Callable[..., Outcome]


@pytest.fixture
def pig_target(pig_engine: PigEngine, tmp_path: Path) -> Callable[..., PigTarget]:
    def make(**kwargs: object) -> PigTarget:
        return PigTarget(
            "pig",
            engine=pig_engine,
            runs=tmp_path / "runs",
            workdir=tmp_path,
            **kwargs,  # type: ignore[arg-type]
        )

    return make


def pig_script(text: str, **kwargs: object) -> Script:
    fields: dict[str, object] = {"job": "test", "logical_name": "test-run", "iteration": 0}
    return Script(engine="pig", text=text, **(fields | kwargs))  # type: ignore[arg-type]


def run_pig(target: PigTarget, script: Script) -> Outcome:
    return target.follow(target.start(script), Unwatched())
