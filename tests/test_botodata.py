"""kiter's botocore data loader reads what botocore's own reads, only faster."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.session import Session

from kiter import botodata


def _sessions() -> tuple[Session, Session]:
    ours = Session()
    botodata.install(ours)
    return ours, Session()


@pytest.mark.parametrize("service", ["dynamodb", "s3", "emr", "emr-serverless", "kinesis"])
def test_the_loader_reads_the_same_models_and_endpoints_as_botocores_own(service: str) -> None:
    ours, theirs = _sessions()
    for kind in ("service-2", "endpoint-rule-set-1", "paginators-1"):
        mine = ours.get_component("data_loader").load_service_model(service, kind)
        assert mine == theirs.get_component("data_loader").load_service_model(service, kind)
        assert type(mine) is dict  # plain dicts: what makes it faster
    assert ours.get_component("data_loader").load_data("endpoints") == theirs.get_component(
        "data_loader"
    ).load_data("endpoints")


def test_an_unknown_service_is_refused_as_botocore_refuses_it() -> None:
    ours, _ = _sessions()
    with pytest.raises(UnknownServiceError, match="no-such-service"):
        ours.create_client("no-such-service", region_name="us-east-1")


def test_the_list_of_available_services_is_botocores_own() -> None:
    ours, theirs = _sessions()
    assert list(ours.get_available_services()) == theirs.get_available_services()


def test_a_data_path_from_the_aws_config_is_searched_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "kiter-made-up" / "2024-01-01"
    model.mkdir(parents=True)
    (model / "service-2.json").write_text(
        '{"version": "2.0", "metadata": {"apiVersion": "2024-01-01", "endpointPrefix": "x",'
        ' "protocol": "json", "serviceId": "Made Up", "signatureVersion": "v4",'
        ' "targetPrefix": "X"}, "operations": {}, "shapes": {}}'
    )
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    ours = Session()
    botodata.install(ours)
    loaded = ours.get_component("data_loader").load_service_model("kiter-made-up", "service-2")
    assert loaded["metadata"]["serviceId"] == "Made Up"
