"""`kiter jobs`: every job listed, a broken one with its problems, and exit 2 after the list."""

from __future__ import annotations

import json

import pytest

from sample_projects import MINIMAL, WriteProject, run

BROKEN = '[jobs.broken]\nengine = "hive"\ntemplate = "nowhere.hql.j2"\nstream = "S"\n'


def test_a_job_without_its_template_is_listed_after_the_others_and_exits_2(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL + BROKEN)
    code, out, err = run(["-C", str(path.parent), "jobs"], capsys)
    assert code == 2
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["top", "broken"]
    assert err.startswith(
        f"kiter: error: {path}:7: template 'nowhere.hql.j2' of job 'broken' not found"
    )
    assert err.count("\n") == 1


def test_the_json_list_holds_each_broken_jobs_problems(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_project(MINIMAL + BROKEN + "batch_size = 0\n")
    code, out, err = run(["-C", str(path.parent), "jobs", "--json"], capsys)
    assert code == 2
    top, broken = json.loads(out)["jobs"]
    assert "problems" not in top and top["name"] == "top"
    assert broken["name"] == "broken" and broken["template"] == "nowhere.hql.j2"
    assert broken["problems"] == [line.removeprefix("kiter: error: ") for line in err.splitlines()]
    assert len(broken["problems"]) == 2 and "jobs.broken.batch_size" in broken["problems"][1]


def test_the_json_list_names_a_jobs_templates_in_the_order_they_run(
    write_project: WriteProject, capsys: pytest.CaptureFixture[str]
) -> None:
    several = (
        '[jobs.two]\nengine = "hive"\ntemplates = ["top_errors.hql.j2", "engagement.hql.j2"]\n'
        'stream = "S"\n'
    )
    path = write_project(MINIMAL + several)
    code, out, err = run(["-C", str(path.parent), "jobs", "--json"], capsys)
    assert code == 0, err
    top, two = json.loads(out)["jobs"]
    assert top["templates"] == ["top_errors.hql.j2"]
    assert two["templates"] == ["top_errors.hql.j2", "engagement.hql.j2"]
