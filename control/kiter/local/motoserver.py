"""The local stack's AWS endpoint: moto's server, answering one request at a time.

moto's own server handles requests on many threads with no lock around its backends, and
(moto as it is) a DynamoDB transaction whose condition fails restores a copy of the table taken
when it began, erasing writes that landed meanwhile. DynamoDB's writes are atomic, and kiter's ledger relies on
that, so the embedded endpoint serialises requests. It also keeps moto's memory bounded for a stack
left up for days (see kiter.local.motorelief): every RELIEVE_EVERY requests, under the same lock.
Run: python -m kiter.local.motoserver -p PORT

`start`, `wait` and `reset_moto` are the stack's side of it (kiter.local.stack records and stops the
process): a peer of the HiveServer2 engines, started through kiter.local.processes as they are.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kiter.errors import ServiceError
from kiter.local import processes

RELIEVE_EVERY = 500
SERVER = "the moto server"
MODULE = "kiter.local.motoserver"  # run with -m: what its command line holds (__name__ is __main__)
START_TIMEOUT_S = 30.0


class OneAtATime:
    """A WSGI wrapper that serves one request at a time, and calls `between` every `every`."""

    def __init__(
        self, app: Any, between: Callable[[], object] = lambda: None, every: int = RELIEVE_EVERY
    ) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.between = between
        self.every = every
        self.served = 0

    def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        with self.lock:
            self.served += 1
            if self.served % self.every == 0:
                self.between()
            return list(self.app(environ, start_response))


def make_server(host: str, port: int, *, relief: bool = True) -> Any:
    """A werkzeug server for moto's backends behind OneAtATime (port 0: pick one)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server as werkzeug_server

    from kiter.local import motorelief

    backends = DomainDispatcherApplication(create_backend_app)
    if not relief:  # moto as it is: for bench/soak.py's baseline
        return werkzeug_server(
            host, port, OneAtATime(backends), threaded=True, request_handler=MotoRequestHandler
        )
    motorelief.install()
    app = OneAtATime(backends, motorelief.relieve)
    return werkzeug_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kiter.local.motoserver")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--no-relief", action="store_true", help="moto as it is (benchmarks)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(args.host, args.port, relief=not args.no_relief)
    print(f"kiter moto server on http://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()


# -- the stack's side -------------------------------------------------------------------------------


def url(port: int) -> str:
    return f"http://{processes.HOST}:{port}"


def start(folder: Path, port: int, *, log_path: Path) -> int:
    """Start a server detached on 127.0.0.1:port, its output in log_path; return its pid."""
    command = [sys.executable, "-m", MODULE, "-H", processes.HOST, "-p", str(port)]
    return processes.start_detached(command, cwd=folder, log_path=log_path)


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"{url(port)}/moto-api/", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait(
    pid: int,
    port: int,
    timeout: float,
    *,
    log_path: Path,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Wait until the server answers; ServiceError quoting its log when it dies or times out."""
    return processes.wait_for(
        lambda: answers(port),
        server=SERVER,
        where=url(port),
        pid=pid,
        log_path=log_path,
        timeout=timeout,
        interval=0.1,
        sleep=sleep,
    )


def reset_moto(at: str) -> None:
    """Forget every resource the moto server at URL `at` holds (tests, demo re-runs)."""
    request = urllib.request.Request(f"{at.rstrip('/')}/moto-api/reset", data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise ServiceError(f"could not reset the moto server at {at}: {exc}") from exc


if __name__ == "__main__":
    main()
