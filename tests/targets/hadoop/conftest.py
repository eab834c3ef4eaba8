"""The local Hadoop engine, installed once per test session (mvn, into the user's kiter cache), a
real third-party MapReduce jar (Hadoop's own examples, fetched from Maven Central) and a Cascading
app built from the Java source in cascading_app/ (Maven, in a copy under the session's temporary
folder: the checkout stays clean; ~/.m2 keeps what it fetched, so later builds need no network)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kiter.local import hadoopengine, pigengine
from kiter.local.hadoopengine import HADOOP_VERSION, HadoopEngine
from kiter.local.pigengine import PigEngine

EXAMPLES = f"org.apache.hadoop:hadoop-mapreduce-examples:{HADOOP_VERSION}"
CASCADING_APP = Path(__file__).parent / "cascading_app"


@pytest.fixture(scope="session")
def hadoop_engine() -> HadoopEngine:
    return hadoopengine.ENGINE.install()


@pytest.fixture(scope="session")
def examples_jar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hadoop-mapreduce-examples-2.10.2.jar, as Maven Central has it."""
    mvn = shutil.which("mvn")
    if mvn is None:
        pytest.skip("mvn is not installed")
    folder = tmp_path_factory.mktemp("examples")
    subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "dependency:copy",
            f"-Dartifact={EXAMPLES}",
            f"-DoutputDirectory={folder}",
        ],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return folder / f"hadoop-mapreduce-examples-{HADOOP_VERSION}.jar"


@pytest.fixture(scope="session")
def cascading_jar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cascading_app/'s jar, Cascading 4.5.2 and its dependencies inside (shaded)."""
    mvn = shutil.which("mvn")
    if mvn is None:
        pytest.skip("mvn is not installed")
    folder = tmp_path_factory.mktemp("cascading-app")
    shutil.copy(CASCADING_APP / "pom.xml", folder)
    shutil.copytree(CASCADING_APP / "src", folder / "src")
    subprocess.run(
        [mvn, "-q", "-B", "package"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return folder / "target" / "kiter-cascading-app.jar"


@pytest.fixture(scope="session")
def pig_engine() -> PigEngine:
    """The local Pig engine, for answers to compare with (tests/targets/pig has its own)."""
    return pigengine.ENGINE.install()
