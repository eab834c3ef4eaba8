"""`kiter validate` on streaming and jar jobs: their programs checked offline, one line each."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from sample_projects import WriteProject, run

PROJECT = """\
[staging]
location = "staging"

[jobs.status]
engine = "streaming"
stream = "S"
mode = "staged"
mapper = "streaming/mapper.py"
reducer = "streaming/reducer.py"
files = ["streaming/lookup.tsv"]
output = "out/status/{{ iteration }}"

[jobs.words]
engine = "jar"
stream = "S"
mode = "staged"
jar = "jars/words.jar"
args = ["{{ input }}", "{{ output }}"]
output = "out/words/{{ iteration }}"
"""

PROGRAMS = {
    "streaming/mapper.py": "import sys\nfor line in sys.stdin:\n    print(line, end='')\n",
    "streaming/reducer.py": "import sys\nsys.stdout.write(sys.stdin.read())\n",
    "streaming/lookup.tsv": "a\t1\n",
}


def jar(path: Path, entries: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def manifest(main: str) -> bytes:
    return f"Manifest-Version: 1.0\r\nMain-Class: {main}\r\n\r\n".encode()


def validate(
    write_project: WriteProject,
    capsys: pytest.CaptureFixture[str],
    text: str = PROJECT,
    files: dict[str, str] | None = None,
) -> tuple[int, str, Path]:
    path = write_project(text, PROGRAMS | (files or {}))
    code, out, _ = run(["-C", str(path.parent), "validate"], capsys)
    return code, out, path


def line_of(path: Path, text: str) -> int:
    return next(
        n for n, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(text)
    )


def test_a_streaming_job_whose_programs_are_there_and_compile_validates(
    write_project: WriteProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jar(
        tmp_path / "jars" / "words.jar",
        {"META-INF/MANIFEST.MF": manifest("org.ex.Words"), "org/ex/Words.class": b"\xca\xfe"},
    )

    code, out, _ = validate(write_project, capsys)

    assert code == 0, out
    assert out.splitlines() == ["ok    status (status/0.sh)", "ok    words (words/0.sh)"]


def test_a_missing_program_is_named_at_its_key_in_kiter_toml(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, path = validate(write_project, capsys, PROJECT.replace("reducer.py", "reduce.py"))

    assert code == 1
    line = line_of(path, "reducer = ")
    assert (
        f"  {path}:{line}: jobs.status.reducer 'streaming/reduce.py' is not a file of the project"
    ) in out.splitlines()


def test_a_python_program_that_does_not_compile_is_named_at_its_line(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = "import sys\n\nfor line in sys.stdin\n    print(line)\n"
    code, out, _ = validate(write_project, capsys, files={"streaming/mapper.py": broken})

    assert code == 1
    assert "  streaming/mapper.py:3: SyntaxError: expected ':'" in out.splitlines()


def test_a_program_that_is_not_python_and_not_executable_is_a_warning(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    text = PROJECT.replace("streaming/mapper.py", "streaming/mapper.sh")
    _, out, path = validate(write_project, capsys, text, {"streaming/mapper.sh": "cat\n"})

    assert "ok    status (status/0.sh)" in out
    assert (
        f"  warning: {path}:{line_of(path, 'mapper = ')}: jobs.status.mapper "
        "'streaming/mapper.sh' is not executable, and the local Hadoop engine runs it as it is"
    ) in out


@pytest.mark.parametrize(
    ("entries", "main", "problem"),
    [
        ({"org/ex/Words.class": b""}, None, "has no Main-Class in its manifest: set main_class"),
        (
            {"META-INF/MANIFEST.MF": manifest("org.ex.Gone"), "org/ex/Words.class": b""},
            None,
            "does not hold org.ex.Gone (its manifest's Main-Class)",
        ),
        ({"org/ex/Words.class": b""}, "org.ex.Other", "does not hold org.ex.Other (main_class)"),
        (None, None, "is not a readable jar"),
    ],
)
def test_a_jar_without_its_main_class_is_named(
    write_project: WriteProject,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    entries: dict[str, bytes] | None,
    main: str | None,
    problem: str,
) -> None:
    target = tmp_path / "jars" / "words.jar"
    if entries is None:
        target.parent.mkdir(parents=True)
        target.write_text("not a zip")
    else:
        jar(target, entries)
    text = PROJECT + (f'main_class = "{main}"\n' if main else "")

    code, out, path = validate(write_project, capsys, text)

    assert code == 1
    assert f"  {path}:{line_of(path, 'jar = ')}: jobs.words.jar {target} {problem}" in out


def test_a_main_class_in_a_jar_the_job_jar_holds_under_lib_is_found(
    write_project: WriteProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("org/ex/Words.class", b"")
    jar(tmp_path / "jars" / "words.jar", {"lib/words-core.jar": inner.getvalue()})

    code, out, _ = validate(write_project, capsys, PROJECT + 'main_class = "org.ex.Words"\n')

    assert code == 0, out


def test_an_undefined_name_in_args_fails_validation(
    write_project: WriteProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jar(
        tmp_path / "jars" / "words.jar", {"META-INF/MANIFEST.MF": manifest("a.B"), "a/B.class": b""}
    )
    undefined = PROJECT.replace('"{{ output }}"]', '"{{ outptu }}"]')

    code, out, _ = validate(write_project, capsys, undefined)

    assert code == 1 and "jobs.words.args[1] = '{{ outptu }}': undefined name" in out


_OWNED = "kiter owns it (it passes the iteration's checkpoint settings as -D options itself)"
_CREDENTIALS = (
    "Kinesis credentials never travel as arguments (EMR shows a step's arguments), and a "
    "streaming or jar job cannot take cross-account keys"
)


@pytest.mark.parametrize(
    "given, key, why",
    [
        ('"-D", "kinesis.checkpoint.logical.name=x"', "kinesis.checkpoint.logical.name", _OWNED),
        ('"-Dkinesis.checkpoint.iteration.no=7"', "kinesis.checkpoint.iteration.no", _OWNED),
        ('"-D", "Kinesis.SecretKey=s"', "Kinesis.SecretKey", _CREDENTIALS),
    ],
)
def test_args_that_set_what_kiter_owns_are_refused_when_the_project_loads(
    write_project: WriteProject,
    capsys: pytest.CaptureFixture[str],
    given: str,
    key: str,
    why: str,
) -> None:
    # Before any claim: an iteration is not spent on a job that can never run.
    path = write_project(PROJECT.replace('"{{ output }}"]', f'"{{{{ output }}}}", {given}]'))

    code, _, err = run(["-C", str(path.parent), "validate"], capsys)

    assert code == 2
    assert err.splitlines()[-1] == (
        f"kiter: error: {path}:{line_of(path, 'args = ')}: jobs.words.args sets {key}: {why}; "
        "remove it from args"
    )


def test_an_output_the_same_for_every_iteration_is_a_warning_at_its_key(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    # Accepted (a folder of the latest result is a choice), but each iteration empties it first.
    text = PROJECT.replace('output = "out/status/{{ iteration }}"', 'output = "out/status/latest"')

    code, out, path = validate(write_project, capsys, text)

    assert code == 1  # the jar job's jar is missing here; the streaming job passes
    assert "ok    status (status/0.sh)" in out
    assert (
        f"  warning: {path}:{line_of(path, 'output = ')}: jobs.status.output is the same folder "
        "for every iteration: each run empties it first, so only the last iteration's result "
        "stays (put {{ iteration }} in it to keep each one)"
    ) in out.splitlines()
