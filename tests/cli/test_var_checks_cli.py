"""No silent typos on the command line: a `--var` nothing reads stops render and submit, a job var
nothing reads is a warning, and a fresh scaffold validates while naming its placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest

from sample_projects import MINIMAL, WriteProject, run


@pytest.fixture
def scaffold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "analytics"
    assert run(["init", str(folder)], capsys)[0] == 0
    return folder


def test_a_typo_in_a_var_is_refused_before_pig_would_replace_the_default_output(
    scaffold: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["-C", str(scaffold), "render", "top_errors_pig", "--var", "outptu=s3://x/y"]
    code, out, err = run(args, capsys)
    assert code == 2 and out == ""
    assert err == (
        "kiter: error: unknown --var 'outptu': no template of job top_errors_pig reads it "
        "(did you mean 'output'?)\n"
    )
    args[-1] = "output=s3://x/y"
    code, out, _ = run(args, capsys)
    assert code == 0 and "rmf s3://x/y/iteration=0" in out


def test_a_job_var_nothing_reads_is_warned_of_at_its_kiter_toml_line(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL + "\n[jobs.top.vars]\nlimt = 5\n")
    code, out, err = run(["-C", str(path.parent), "render", "top"], capsys)
    assert code == 0 and "SELECT" in out
    assert f"warning: {path}:7: jobs.top.vars.limt is read by no template of the job\n" in err


def test_a_fresh_scaffold_validates_and_names_what_is_left_to_edit(
    scaffold: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["-C", str(scaffold), "validate"], capsys)
    assert code == 0
    refused = "(submit, run and stage refuse it)"
    toml = scaffold / "kiter.toml"
    line = next(
        n
        for n, text in enumerate(toml.read_text().splitlines(), 1)
        if text.startswith('output = "s3://my-bucket')
    )
    assert (
        f"  warning: {toml}:{line}: jobs.top_errors_pig.vars.output is still the scaffold's "
        f"placeholder 's3://my-bucket/kiter/top-errors' {refused}"
    ) in out.splitlines()
    assert (
        "  warning: targets.emr.cluster_id is still the scaffold's placeholder "
        f"'j-XXXXXXXXXXXXX' {refused}"
    ) in out.splitlines()
    code, out, _ = run(["-C", str(scaffold), "--profile", "local", "validate"], capsys)
    assert code == 0 and "placeholder" not in out
