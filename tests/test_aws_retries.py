"""One retry layer per call, bounded: botocore's for most clients, the reader's for Kinesis reads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kiter.aws import MAX_ATTEMPTS, Aws, AwsSettings
from kiter.stream.kinesis import MAX_THROTTLE_RETRIES, call_with_backoff


class _Failing(BaseHTTPRequestHandler):
    """Answers every request with a 500 InternalFailure and counts them."""

    count = 0

    def do_POST(self) -> None:
        type(self).count += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"__type": "InternalFailure", "message": "try again"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-ErrorType", "InternalFailure")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def failing_endpoint() -> Iterator[str]:
    _Failing.count = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_failing_dynamodb_call_is_tried_a_bounded_number_of_times(
    failing_endpoint: str,
) -> None:
    client = Aws(AwsSettings(region="us-east-1", endpoint_url=failing_endpoint)).client("dynamodb")
    client.meta.events.register("before-sleep", lambda **_kw: None)
    with pytest.raises(Exception, match="InternalFailure"):
        client.get_item(TableName="t", Key={"k": {"S": "v"}})
    assert _Failing.count == MAX_ATTEMPTS


def test_a_failing_kinesis_read_is_retried_by_the_reader_alone(failing_endpoint: str) -> None:
    client = Aws(AwsSettings(region="us-east-1", endpoint_url=failing_endpoint)).client(
        "kinesis", retries=False
    )
    slept: list[float] = []
    with pytest.raises(Exception, match="InternalFailure"):
        call_with_backoff(client, "ListShards", None, sleep=slept.append, StreamName="s")
    assert _Failing.count == MAX_THROTTLE_RETRIES + 1  # not multiplied by botocore's tries
    assert sum(slept) < 60
