"""A kiter.toml with problems: all of them at once (up to a bound), each with its file:line, and a
"did you mean" for a misnamed table or a dotted key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.errors import ConfigError, ConfigErrors
from kiter.library import builtin_dirs
from kiter.project import load_project
from sample_projects import MINIMAL, WriteProject, run


def _errors(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project(path, env={})
    error = caught.value
    return error.lines() if isinstance(error, ConfigErrors) else [str(error)]


def test_every_problem_of_the_file_is_reported_at_once_in_the_files_order(
    write_project: WriteProject,
) -> None:
    path = write_project(
        "[metastore]\n"
        "lease_seconds = 5\n"  # 2: below 10
        "[jobs.top]\n"
        'engine = "hive"\n'
        'template = "top_errors.hql.j2"\n'
        'stream = "S"\n'
        'mode = "streamed"\n'  # 7
        "[jobs.other]\n"
        'engine = "hive"\n'
        'template = "nowhere.hql.j2"\n'  # 10
        'stream = "S"\n'
        'target = "emr"\n'  # 12
        "[staging]\n"
        'format = "xml"\n'  # 14
    )
    searched = ", ".join(str(p) for p in builtin_dirs())
    assert _errors(path) == [
        f"{path}:2: metastore.lease_seconds must be at least 10",
        f"{path}:7: jobs.top.mode must be one of 'connector', 'staged', not 'streamed'",
        f"{path}:10: template 'nowhere.hql.j2' of job 'other' not found (searched: {searched})",
        f"{path}:12: jobs.other.target names no [targets.emr] (targets: none)",
        f"{path}:14: staging.format must be one of 'lines', 'jsonl', not 'xml'",
    ]


def test_a_missing_template_is_reported_beside_the_other_problems_of_its_job(
    write_project: WriteProject,
) -> None:
    path = write_project(
        '[jobs.top]\nengine = "hive"\ntemplate = "nowhere.hql.j2"\nstream = "S"\nbatch_size = 0\n'
    )
    errors = _errors(path)
    assert [e.split(": ", 1)[0] for e in errors] == [f"{path}:3", f"{path}:5"]
    assert "template 'nowhere.hql.j2' of job 'top' not found" in errors[0]
    assert "jobs.top.batch_size must be at least 1" in errors[1]


def test_a_misnamed_table_gets_its_line_and_the_table_it_means(
    write_project: WriteProject,
) -> None:
    path = write_project(MINIMAL + '\n[job.top_errors]\nengine = "hive"\n')
    assert _errors(path) == [
        f"{path}:6: unknown table [job.top_errors] (did you mean [jobs.top_errors]?)"
    ]


def test_a_dotted_key_is_named_as_written_with_the_key_it_means(
    write_project: WriteProject,
) -> None:
    path = write_project("[metastore]\ntable = 'T12'\nlease.seconds = 300\n" + MINIMAL)
    assert _errors(path) == [
        f"{path}:3: unknown key 'lease.seconds' in [metastore] (did you mean 'lease_seconds'?)"
    ]


def test_a_dotted_key_in_a_job_table_is_named_too(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + "nodata.timeout = 1\n")
    assert _errors(path) == [
        f"{path}:5: unknown key 'nodata.timeout' in [jobs.top] (did you mean 'nodata_timeout'?)"
    ]


def test_a_sections_key_above_every_table_is_offered_in_its_section(
    write_project: WriteProject,
) -> None:
    path = write_project('region = "eu-west-1"\n' + MINIMAL)
    assert _errors(path) == [
        f"{path}:1: unknown table or key 'region' (did you mean region in [aws]?)"
    ]


def test_past_twenty_problems_the_rest_are_counted(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + "".join(f"bogus{i} = 1\n" for i in range(25)))
    errors = _errors(path)
    assert len(errors) == 21
    assert errors[0] == f"{path}:5: unknown key 'bogus0' in [jobs.top]"
    assert errors[19] == f"{path}:24: unknown key 'bogus19' in [jobs.top]"
    assert errors[20] == "5 more problems not shown: fix these first"


def test_the_cli_prints_each_problem_on_a_line_of_its_own_with_exit_code_2(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project("[metastore]\nlease.seconds = 300\n" + MINIMAL + "bogus = 1\n")
    code, out, err = run(["-C", str(path.parent), "jobs"], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"kiter: error: {path}:2: unknown key 'lease.seconds' in [metastore] "
        "(did you mean 'lease_seconds'?)\n"
        f"kiter: error: {path}:7: unknown key 'bogus' in [jobs.top]\n"
    )


def test_set_aside_broken_jobs_are_still_reported_with_a_problem_outside_the_jobs(
    write_project: WriteProject,
) -> None:
    broken = '[jobs.broken]\nengine = "hive"\ntemplate = "nowhere.hql.j2"\nstream = "S"\n'
    path = write_project(MINIMAL + broken)
    project = load_project(path, env={}, keep_broken_jobs=True)
    assert list(project.jobs) == ["top"] and list(project.broken_jobs) == ["broken"]
    path = write_project("[metastore]\nlease_seconds = 1\n" + MINIMAL + broken)
    with pytest.raises(ConfigErrors) as caught:
        load_project(path, env={}, keep_broken_jobs=True)
    assert [line.split(": ")[0] for line in caught.value.lines()] == [f"{path}:2", f"{path}:9"]


def test_a_misnamed_table_whose_sub_table_is_right_says_what_that_one_misses_in_one_line(
    write_project: WriteProject,
) -> None:
    path = write_project(MINIMAL + '[job.pig]\nengine = "pig"\n[jobs.pig.vars]\noutput = "o"\n')
    assert _errors(path) == [
        f"{path}:5: unknown table [job.pig] (did you mean [jobs.pig]?)",
        f"{path}:7: [jobs.pig] is missing required keys 'engine', 'template', 'stream'",
    ]


def test_two_jobs_under_one_logical_name_are_refused_naming_both(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    jobs = (
        '[jobs.weblogs]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\nstream = "A"\n'
        'logical_name = "TestLogicalName"\n'
        '[jobs.orders]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\nstream = "B"\n'
        'logical_name = "TestLogicalName"\n'  # 10
    )
    path = write_project(jobs)
    code, out, err = run(["-C", str(path.parent), "validate"], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"kiter: error: {path}:10: jobs 'weblogs' and 'orders' both use logical name "
        "'TestLogicalName': one logical name is one job over one stream; give one of them its "
        "own logical_name\n"
    )


def test_a_logical_name_taken_by_default_from_a_jobs_name_counts_too(
    write_project: WriteProject,
) -> None:
    jobs = (
        '[jobs.top]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\nstream = "A"\n'
        '[jobs.copy]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\nstream = "A"\n'
        'logical_name = "top"\n'
    )
    path = write_project(jobs)
    assert _errors(path) == [
        f"{path}:9: jobs 'top' and 'copy' both use logical name 'top' (job 'top' has no "
        "logical_name: it takes its name): one logical name is one "
        "job over one stream; give one of them its own logical_name"
    ]
