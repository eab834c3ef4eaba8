"""kiter.toml loading: precedence, and one clear error per kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.errors import ConfigError
from kiter.project import load_project, parse_var_overrides
from sample_projects import MINIMAL, WriteProject


def test_defaults_fill_every_table_a_file_leaves_out(
    write_project: WriteProject, tmp_path: Path
) -> None:
    env = {"AWS_CONFIG_FILE": str(tmp_path / "no-aws-config")}
    project = load_project(write_project(MINIMAL), env=env)
    assert project.aws.region is None  # no default: the AWS conventions, else an error on use
    assert project.metastore.table == "MyEMRKinesisTable"
    assert (project.metastore.hash_key, project.metastore.range_key) == ("HashKey", "RangeKey")
    job = project.job("top")
    assert job.logical_name == "top"  # defaults to the job's name
    assert job.mode == "connector"
    assert project.staging.location.startswith("file:///")


@pytest.mark.parametrize(
    ("file_value", "env_value", "flag_value", "expected"),
    [
        ("eu-west-1", None, None, "eu-west-1"),
        ("eu-west-1", "us-west-2", None, "us-west-2"),
        ("eu-west-1", "us-west-2", "ap-south-1", "ap-south-1"),
        (None, None, None, None),
        (None, "", None, None),  # an empty variable is no setting
    ],
)
def test_a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default(
    write_project: WriteProject,
    tmp_path: Path,
    file_value: str | None,
    env_value: str | None,
    flag_value: str | None,
    expected: str | None,
) -> None:
    text = (f'[aws]\nregion = "{file_value}"\n' if file_value else "") + MINIMAL
    env = {"AWS_CONFIG_FILE": str(tmp_path / "no-aws-config")}
    if env_value is not None:
        env["KITER_AWS_REGION"] = env_value
    project = load_project(write_project(text), env=env, flags={"aws.region": flag_value})
    assert project.aws.region == expected


def test_environment_values_take_the_settings_type(write_project: WriteProject) -> None:
    project = load_project(write_project(MINIMAL), env={"KITER_METASTORE_LEASE_SECONDS": "90"})
    assert project.metastore.lease_seconds == 90


def test_an_environment_value_of_the_wrong_type_names_the_variable(
    write_project: WriteProject,
) -> None:
    with pytest.raises(ConfigError, match="KITER_METASTORE_LEASE_SECONDS must be a whole number"):
        load_project(write_project(MINIMAL), env={"KITER_METASTORE_LEASE_SECONDS": "soon"})


def test_a_profile_is_merged_over_the_file(write_project: WriteProject) -> None:
    text = MINIMAL + (
        '[profiles.local.aws]\nendpoint_url = "http://127.0.0.1:5000"\n'
        '[profiles.local.jobs.top]\nmode = "staged"\n'
    )
    plain = load_project(write_project(text), env={})
    local = load_project(write_project(text), env={}, profile="local")
    assert plain.aws.endpoint_url is None and plain.job("top").mode == "connector"
    assert local.aws.endpoint_url == "http://127.0.0.1:5000"
    assert local.job("top").mode == "staged"
    assert local.job("top").stream == "S"


def test_the_profile_can_come_from_the_environment(write_project: WriteProject) -> None:
    text = MINIMAL + '[profiles.eu.aws]\nregion = "eu-central-1"\n'
    project = load_project(write_project(text), env={"KITER_PROFILE": "eu"})
    assert project.aws.region == "eu-central-1"


def test_an_unknown_profile_is_refused_with_the_known_ones(write_project: WriteProject) -> None:
    text = MINIMAL + '[profiles.eu.aws]\nregion = "eu-central-1"\n'
    with pytest.raises(ConfigError, match=r"no profile named 'prod' \(profiles: eu\)"):
        load_project(write_project(text), env={}, profile="prod")


def _error(path: Path) -> str:
    try:
        load_project(path, env={})
    except ConfigError as exc:
        return str(exc)
    raise AssertionError("the project loaded without an error")


def test_an_unknown_key_names_file_line_and_a_likely_fix(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + 'logical_nme = "x"\n')
    assert _error(path) == (
        f"{path}:5: unknown key 'logical_nme' in [jobs.top] (did you mean 'logical_name'?)"
    )


def test_an_unknown_top_level_table_is_refused(write_project: WriteProject) -> None:
    path = write_project("[metastroe]\ntable = 'x'\n" + MINIMAL)
    assert _error(path) == f"{path}:1: unknown table [metastroe] (did you mean [metastore]?)"
    path = write_project("[frobnicate]\ntable = 'x'\n" + MINIMAL)
    assert _error(path) == (
        f"{path}:1: unknown table [frobnicate] (expected one of: aws, metastore, staging, "
        "local, targets, jobs, profiles)"
    )


def test_a_value_of_the_wrong_type_names_the_key_and_line(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + 'nodata_timeout = "1"\n')
    assert _error(path) == f"{path}:5: jobs.top.nodata_timeout must be an integer, not a string"


def test_a_boolean_is_not_taken_for_an_integer(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + "batch_size = true\n")
    assert "jobs.top.batch_size must be an integer, not true or false" in _error(path)


def test_a_missing_required_key_names_the_table(write_project: WriteProject) -> None:
    path = write_project('[jobs.top]\nengine = "hive"\ntemplate = "top_errors.hql.j2"\n')
    assert _error(path) == f"{path}:1: [jobs.top] is missing required key 'stream'"


def test_a_value_outside_its_choices_lists_them(write_project: WriteProject) -> None:
    path = write_project(MINIMAL.replace('"hive"', '"spark"'))
    assert (
        _error(path)
        == f"{path}:2: jobs.top.engine must be one of 'hive', 'pig', 'streaming', 'jar', not 'spark'"
    )


def test_a_template_that_does_not_exist_names_the_job_key(write_project: WriteProject) -> None:
    path = write_project(MINIMAL.replace("top_errors.hql.j2", "nope.hql.j2"))
    message = _error(path)
    assert message.startswith(f"{path}:3: template 'nope.hql.j2' of job 'top' not found")


def test_a_projects_own_template_shadows_a_builtin(write_project: WriteProject) -> None:
    path = write_project(MINIMAL, files={"hiveql/top_errors.hql.j2": "SELECT 1;\n"})
    project = load_project(path, env={})
    assert (
        project.find_template("top_errors.hql.j2") == path.parent / "hiveql" / "top_errors.hql.j2"
    )


def test_a_job_pointing_at_a_missing_target_is_refused(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + 'target = "emr"\n')
    assert _error(path) == f"{path}:5: jobs.top.target names no [targets.emr] (targets: none)"


def test_an_emr_target_needs_a_cluster_and_an_s3_prefix(write_project: WriteProject) -> None:
    path = write_project('[targets.emr]\nkind = "emr"\nscript_prefix = "s3://b/p"\n' + MINIMAL)
    assert _error(path) == f"{path}:1: targets.emr needs cluster_id or cluster_name"
    path = write_project(
        '[targets.emr]\nkind = "emr"\ncluster_id = "j-1"\nscript_prefix = "/tmp/x"\n' + MINIMAL
    )
    assert _error(path) == f"{path}:4: targets.emr.script_prefix must be an s3:// URL"


def test_a_target_of_unknown_kind_is_refused(write_project: WriteProject) -> None:
    path = write_project('[targets.x]\nkind = "spark"\n' + MINIMAL)
    error = _error(path)
    assert error.startswith(f"{path}:2: targets.x.kind must be one of ")
    assert all(f'"{kind}"' in error for kind in ("hiveserver2", "emr", "emr-serverless"))
    assert error.endswith("not 'spark'")


def test_kinesis_keys_in_the_file_are_refused(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + 'secret_key = "abc"\n')
    assert "must not hold Kinesis keys" in _error(path)
    assert "abc" not in _error(path)


def test_an_invalid_checkpoint_table_name_is_refused(write_project: WriteProject) -> None:
    path = write_project('[metastore]\ntable = "my table"\n' + MINIMAL)
    assert _error(path) == (
        f"{path}:2: metastore.table must be a DynamoDB table name "
        "(3-255 of A-Z a-z 0-9 _ . -), not 'my table'"
    )


def test_broken_toml_is_reported_with_its_position(write_project: WriteProject) -> None:
    path = write_project("[jobs.top\n")
    assert _error(path).startswith(f"{path}: not valid TOML: ")


def test_var_overrides_must_look_like_name_equals_value() -> None:
    assert parse_var_overrides(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(ConfigError, match="--var 'novalue' must look like NAME=VALUE"):
        parse_var_overrides(["novalue"])


def test_a_staged_job_cannot_take_cross_account_keys(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + 'mode = "staged"\ncross_account = true\n')
    assert "staged mode reads the stream with kiter's own AWS credentials" in _error(path)
    assert _error(path).startswith(f"{path}:6: ")


def test_a_staged_job_reads_in_the_projects_region(write_project: WriteProject) -> None:
    text = '[aws]\nregion = "us-east-1"\n' + MINIMAL
    path = write_project(text + 'mode = "staged"\nendpoint_region = "eu-west-1"\n')
    assert _error(path) == (
        f"{path}:8: jobs.top: staged mode reads the stream in [aws] region us-east-1, "
        "not endpoint_region eu-west-1"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "[metastore]\nlease_seconds = 1000000000000000000\n",
            "lease_seconds must be at most 86400",
        ),
        (
            "[targets.t]\nkind = 'hiveserver2'\nhost = 'h'\nport = 99999999\n",
            "port must be at most 65535",
        ),
        (
            "[targets.t]\nkind = 'hiveserver2'\nhost = 'h'\nconnect_timeout = nan\n",
            "must be a finite number",
        ),
        (
            "[targets.t]\nkind = 'emr'\ncluster_id = 'j-1'\nscript_prefix = 's3://b'\nlog_wait_seconds = inf\n",
            "must be a finite number",
        ),
        ("[local]\nmoto_port = 70000\n", "moto_port must be at most 65535"),
        ("[aws]\nendpoint_url = 'notaurl'\n", "endpoint_url must be an http:// or https:// URL"),
        ('[staging]\nlocation = "s3://b/it\'s"\n', 'holds "\'"'),
        ("[staging]\nlocation = 's3://b/${hiveconf:x}'\n", "holds '$'"),
    ],
)
def test_out_of_range_and_unsafe_settings_are_refused_with_their_line(
    write_project: WriteProject, line: str, message: str
) -> None:
    path = write_project(line + MINIMAL)
    error = _error(path)
    assert error.startswith(f"{path}:")
    assert message in error


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('stream = ""\n', "stream must be a Kinesis stream name"),
        (
            "stream = 'x\\\"); SET kinesis.checkpoint.iteration.no=0; --'\n",
            "stream must be a Kinesis",
        ),
        ('#logical_name = ""\n', "logical_name must be 1-255"),
        ("#campaign_table = 'ads\\\"; DROP'\n", "campaign_table must be a DynamoDB table name"),
        ("#nodata_timeout = 0\n", "nodata_timeout must be at least 1"),
    ],
)
def test_job_values_that_scripts_quote_are_checked_for_their_context(
    write_project: WriteProject, extra: str, message: str
) -> None:
    path = write_project(
        MINIMAL.replace('stream = "S"\n', "") + extra.replace("#", "stream = 'S'\n")
    )
    error = _error(path)
    assert message in error
    assert "\n" not in error


def test_the_scaffolds_local_profile_puts_the_project_on_the_local_stack(tmp_path: Path) -> None:
    from kiter.cli.init import scaffold

    scaffold(tmp_path)
    assert load_project(tmp_path / "kiter.toml", env={}, profile="local").on_local_stack
    assert not load_project(tmp_path / "kiter.toml", env={}).on_local_stack


def test_an_unknown_profile_says_that_the_aws_profile_is_another_flag(
    write_project: WriteProject,
) -> None:
    path = write_project(MINIMAL + '[profiles.local.aws]\nendpoint_url = "local"\n')
    with pytest.raises(ConfigError) as caught:
        load_project(path, env={}, profile="prod")
    assert str(caught.value) == (
        f"{path}: no profile named 'prod' (profiles: local): --profile picks a [profiles.NAME] "
        "table of kiter.toml; an AWS named profile is --aws-profile"
    )


def test_an_unknown_profile_from_the_environment_names_the_variables(
    write_project: WriteProject,
) -> None:
    path = write_project(MINIMAL + '[profiles.local.aws]\nendpoint_url = "local"\n')
    with pytest.raises(ConfigError, match="KITER_PROFILE picks .*is KITER_AWS_PROFILE$"):
        load_project(path, env={"KITER_PROFILE": "prod"})


def test_a_misspelt_profile_gets_a_did_you_mean(write_project: WriteProject) -> None:
    path = write_project(MINIMAL + '[profiles.local.aws]\nendpoint_url = "local"\n')
    with pytest.raises(ConfigError, match=r"\(profiles: local; did you mean 'local'\?\)"):
        load_project(path, env={}, profile="locl")
