"""The region as AWS resolves it: kiter's flag, variable and file first, then AWS's conventions,
then an error when a command needs one. Never a silent default."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiter.aws import NO_REGION, Aws
from kiter.errors import ConfigError
from kiter.project import Project, load_project
from sample_projects import MINIMAL, WriteProject

AWS_CONFIG = """\
[default]
region = ap-northeast-1

[profile foo]
region = eu-west-1

[profile bare]
output = json
"""


@pytest.fixture
def aws_config(tmp_path: Path) -> Path:
    path = tmp_path / "aws-config"
    path.write_text(AWS_CONFIG, encoding="utf-8")
    return path


def _load(
    write_project: WriteProject,
    env: dict[str, str],
    *,
    file_region: str | None = None,
    flag: str | None = None,
    aws_profile: str | None = None,
) -> Project:
    text = f'[aws]\nregion = "{file_region}"\n' if file_region else ""
    flags = {"aws.region": flag, "aws.profile": aws_profile}
    return load_project(write_project(text + MINIMAL), env=env, flags=flags)


def test_the_region_flag_beats_kiters_variable(
    write_project: WriteProject, aws_config: Path
) -> None:
    env = {"KITER_AWS_REGION": "us-west-2", "AWS_CONFIG_FILE": str(aws_config)}
    project = _load(write_project, env, file_region="sa-east-1", flag="ap-south-1")
    assert project.aws.region == "ap-south-1"
    assert project.origins["aws.region"] == "--region"


def test_kiters_variable_beats_the_file(write_project: WriteProject, aws_config: Path) -> None:
    env = {"KITER_AWS_REGION": "us-west-2", "AWS_REGION": "ca-central-1"}
    project = _load(
        write_project, env | {"AWS_CONFIG_FILE": str(aws_config)}, file_region="sa-east-1"
    )
    assert project.aws.region == "us-west-2"


def test_the_file_beats_aws_region(write_project: WriteProject, aws_config: Path) -> None:
    env = {"AWS_REGION": "ca-central-1", "AWS_CONFIG_FILE": str(aws_config)}
    project = _load(write_project, env, file_region="sa-east-1")
    assert project.aws.region == "sa-east-1"
    assert "aws.region" not in project.origins  # the file's own line says where


def test_a_kiter_profile_region_beats_aws_region(write_project: WriteProject) -> None:
    text = MINIMAL + '[profiles.eu.aws]\nregion = "eu-central-1"\n'
    project = load_project(write_project(text), env={"AWS_REGION": "ca-central-1"}, profile="eu")
    assert project.aws.region == "eu-central-1"


def test_aws_region_beats_aws_default_region(write_project: WriteProject, aws_config: Path) -> None:
    env = {
        "AWS_REGION": "ca-central-1",
        "AWS_DEFAULT_REGION": "eu-north-1",
        "AWS_CONFIG_FILE": str(aws_config),
    }
    project = _load(write_project, env)
    assert project.aws.region == "ca-central-1"
    assert project.origins["aws.region"] == "AWS_REGION"


def test_aws_default_region_beats_the_aws_profiles_region(
    write_project: WriteProject, aws_config: Path
) -> None:
    env = {"AWS_DEFAULT_REGION": "eu-north-1", "AWS_CONFIG_FILE": str(aws_config)}
    project = _load(write_project, env, aws_profile="foo")
    assert project.aws.region == "eu-north-1"
    assert project.origins["aws.region"] == "AWS_DEFAULT_REGION"


def test_the_aws_profile_chosen_with_aws_profile_gives_its_region(
    write_project: WriteProject, aws_config: Path
) -> None:
    project = _load(write_project, {"AWS_CONFIG_FILE": str(aws_config)}, aws_profile="foo")
    assert project.aws.region == "eu-west-1"
    assert project.origins["aws.region"] == (f"region of AWS profile 'foo' in {aws_config}")


def test_the_aws_profile_variable_chooses_the_profile_too(
    write_project: WriteProject, aws_config: Path
) -> None:
    env = {"AWS_PROFILE": "foo", "AWS_CONFIG_FILE": str(aws_config)}
    assert _load(write_project, env).aws.region == "eu-west-1"


def test_without_a_chosen_profile_the_default_profiles_region_is_used(
    write_project: WriteProject, aws_config: Path
) -> None:
    project = _load(write_project, {"AWS_CONFIG_FILE": str(aws_config)})
    assert project.aws.region == "ap-northeast-1"


def test_a_profile_without_a_region_leaves_none(
    write_project: WriteProject, aws_config: Path
) -> None:
    project = _load(write_project, {"AWS_CONFIG_FILE": str(aws_config)}, aws_profile="bare")
    assert project.aws.region is None


def test_an_aws_config_file_botocore_cannot_parse_is_a_config_error(
    write_project: WriteProject, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-config"
    broken.write_text("[default\nregion = x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="AWS settings: Unable to parse config file"):
        _load(write_project, {"AWS_CONFIG_FILE": str(broken)})


def test_no_region_anywhere_is_refused_when_a_client_is_needed(
    write_project: WriteProject, tmp_path: Path
) -> None:
    project = _load(write_project, {"AWS_CONFIG_FILE": str(tmp_path / "none")})
    assert project.aws.region is None
    with pytest.raises(ConfigError) as error:
        Aws(project.aws).client("dynamodb")
    assert error.value.message == NO_REGION
    assert error.value.exit_code == 2
