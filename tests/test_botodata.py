"""kiter's botocore data loader reads what botocore's own reads, only faster."""

from __future__ import annotations

import json
import marshal
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import botocore
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


# ---- the cache of parsed data files -----------------------------------------------------------

MADE_UP_MODEL = (
    '{"version": "2.0", "metadata": {"apiVersion": "2024-01-01", "endpointPrefix": "x",'
    ' "protocol": "json", "serviceId": "SERVICE_ID", "signatureVersion": "v4",'
    ' "targetPrefix": "X"}, "operations": {}, "shapes": {}}'
)


def _load(kind: str = "service-2", service: str = "kinesis") -> object:
    ours = Session()
    botodata.install(ours)
    return ours.get_component("data_loader").load_service_model(service, kind)


def _botocores(kind: str = "service-2", service: str = "kinesis") -> object:
    return Session().get_component("data_loader").load_service_model(service, kind)


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "botocore").glob("*.marshal"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("KITER_CACHE", str(folder))
    return folder


def test_a_data_file_parsed_once_is_read_from_the_cache_after_that(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _load()
    assert _entries(cache)

    def no_parse(*_: object, **__: object) -> object:
        raise AssertionError("parsed the JSON again")

    monkeypatch.setattr(botodata.json, "loads", no_parse)
    again = _load()
    monkeypatch.undo()
    assert again == first == _botocores()
    assert type(again) is dict


def test_a_changed_data_file_is_parsed_again_not_taken_from_the_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "data" / "kiter-made-up" / "2024-01-01" / "service-2.json"
    model.parent.mkdir(parents=True)
    model.write_text(MADE_UP_MODEL.replace("SERVICE_ID", "Made Up"))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path / "data"))
    assert _load(service="kiter-made-up")["metadata"]["serviceId"] == "Made Up"  # type: ignore[index]
    assert _entries(cache)
    model.write_text(MADE_UP_MODEL.replace("SERVICE_ID", "Made Up Too"))
    assert _load(service="kiter-made-up")["metadata"]["serviceId"] == "Made Up Too"  # type: ignore[index]
    # The same size and modification time, another file (an inode and a change time of its own).
    stamp = model.stat().st_mtime_ns
    other = model.with_name("other.json")
    other.write_text(MADE_UP_MODEL.replace("SERVICE_ID", "Made Up 3!!"))
    os.utime(other, ns=(stamp, stamp))
    other.replace(model)
    assert _load(service="kiter-made-up")["metadata"]["serviceId"] == "Made Up 3!!"  # type: ignore[index]


def test_an_entry_made_by_another_botocore_is_not_used(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(botocore, "__version__", "0.0.1")
    _load()
    assert _entries(cache)
    monkeypatch.undo()
    monkeypatch.setenv("KITER_CACHE", str(cache))
    parsed: list[int] = []
    real = json.loads

    def counted(*args: object, **kwargs: object) -> object:
        parsed.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(botodata.json, "loads", counted)
    assert _load() == _botocores()
    assert parsed


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw: b"", id="empty"),
        pytest.param(lambda raw: raw[: len(raw) // 2], id="cut-short"),
        pytest.param(lambda raw: raw[:100] + bytes([raw[100] ^ 1]) + raw[101:], id="a-bit-flipped"),
        pytest.param(lambda raw: b"\x00\x00\x00\x00" + b"not marshal data", id="garbage"),
        pytest.param(lambda raw: zlib.crc32(b"junk").to_bytes(4, "big") + b"junk", id="whole-junk"),
    ],
)
def test_a_damaged_entry_is_ignored_and_written_again(
    cache: Path, damage: Callable[[bytes], bytes]
) -> None:
    _load()
    entries = _entries(cache)
    assert entries
    whole = {entry: entry.read_bytes() for entry in entries}
    for entry in entries:
        entry.write_bytes(damage(whole[entry]))
    assert _load() == _botocores()
    assert {entry: entry.read_bytes() for entry in _entries(cache)} == whole


def test_an_entry_whose_data_is_no_json_document_is_not_used(cache: Path) -> None:
    _load()
    assert _entries(cache)
    for entry in _entries(cache):
        kept, _ = marshal.loads(entry.read_bytes()[4:])
        payload = marshal.dumps((kept, "a string, not a document"))
        entry.write_bytes(zlib.crc32(payload).to_bytes(4, "big") + payload)
    assert _load() == _botocores()


def test_a_cache_folder_that_cannot_be_written_costs_a_parse_and_is_used_once_it_can_be(
    cache: Path,
) -> None:
    cache.parent.mkdir(exist_ok=True)
    cache.write_text("a file where the folder would be")
    assert _load() == _botocores()
    assert _load("endpoint-rule-set-1") == _botocores("endpoint-rule-set-1")
    assert not list(cache.parent.glob("**/.tmp-*"))
    cache.unlink()
    assert _load() == _botocores()
    assert _entries(cache)


def test_a_write_a_killed_process_left_behind_is_swept_when_an_entry_is_written(
    cache: Path,
) -> None:
    folder = cache / "botocore"
    folder.mkdir(parents=True)
    stale, fresh = folder / ".tmp-killed", folder / ".tmp-another-process-writing"
    for left in (stale, fresh):
        left.write_bytes(b"half an entry")
    two_hours_ago = os.stat(fresh).st_mtime - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))

    _load()  # a miss: parsed and written

    assert _entries(cache)
    assert not stale.exists()
    assert fresh.exists()


def test_a_cache_folder_others_can_write_in_is_not_read(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _load()
    assert _entries(cache)
    (cache / "botocore").chmod(0o777)
    parsed: list[str] = []
    real = botodata.json.loads
    monkeypatch.setattr(botodata.json, "loads", lambda *a, **k: parsed.append("x") or real(*a, **k))

    again = _load()

    assert parsed  # from the JSON, not from entries anyone could have written
    assert again == expected


def test_the_cache_is_kept_under_kiters_cache_folder() -> None:
    assert botodata.cache_folder({"KITER_CACHE": "/k"}) == Path("/k/botocore")
    assert botodata.cache_folder({"XDG_CACHE_HOME": "/x"}) == Path("/x/kiter/botocore")
    assert botodata.cache_folder({}) == Path.home() / ".cache" / "kiter" / "botocore"
