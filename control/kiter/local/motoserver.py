"""The local stack's AWS endpoint: moto's server, answering one request at a time.

moto's own server handles requests on many threads with no lock around its backends, and a
DynamoDB transaction whose condition fails restores a copy of the table taken when it began,
erasing writes that landed meanwhile. DynamoDB's writes are atomic, and kiter's ledger relies on
that, so the embedded endpoint serialises requests. Run: python -m kiter.local.motoserver -p PORT
"""

from __future__ import annotations

import argparse
import logging
import threading
from collections.abc import Iterable
from typing import Any


class OneAtATime:
    """A WSGI wrapper that serves one request at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


def make_server(host: str, port: int) -> Any:
    """A werkzeug server for moto's backends behind OneAtATime (port 0: pick one)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server as werkzeug_server

    app = OneAtATime(DomainDispatcherApplication(create_backend_app))
    return werkzeug_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kiter.local.motoserver")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(args.host, args.port)
    print(f"kiter moto server on http://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
