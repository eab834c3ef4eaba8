"""What the test rooms share: a fake clock, moto (in process or as a server), an EMR cluster,
kiter run as a process; for the remote targets' tests, their buckets and a few plain helpers
(their fixtures are in tests/targets/conftest.py).

tests/ is on sys.path (pytest's pythonpath), so every test folder imports this as
`kiter_support`; bench/ puts tests/ on its path to use the same cluster helper.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from kiter.metastore.ledger import Ledger, Owner
    from kiter.targets.base import Handle, Script


class FakeTime:
    """A clock that moves only when a test advances it or something sleeps on it.

    Thread-safe (shard readers share one). `hooks[n]` runs after the n-th sleep (1-based).
    With `sleep_advances=False`, sleeps are only recorded (a race backoff that must not age
    a lease).
    """

    def __init__(self, now: float = 1000.0, *, sleep_advances: bool = True) -> None:
        self.now = now
        self.sleeps: list[float] = []
        self.hooks: dict[int, Callable[[], None]] = {}
        self.sleep_advances = sleep_advances
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.clock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if self.sleep_advances:
                self.now += max(seconds, 0.0)
            hook = self.hooks.get(len(self.sleeps))
        if hook:
            hook()

    @property
    def slept(self) -> list[float]:
        return self.sleeps


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free loopback port in this process (its backends are this process's)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def start_cluster(emr: Any, name: str = "kiter-test", *, log_uri: str | None = None) -> str:
    """A WAITING EMR cluster that stays alive without steps; returns its id."""
    kwargs: dict[str, Any] = {
        "Name": name,
        "ReleaseLabel": "emr-6.15.0",
        "Applications": [{"Name": "Hive"}, {"Name": "Pig"}],
        "Instances": {
            "MasterInstanceType": "m5.xlarge",
            "SlaveInstanceType": "m5.xlarge",
            "InstanceCount": 2,
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        "JobFlowRole": "EMR_EC2_DefaultRole",
        "ServiceRole": "EMR_DefaultRole",
    }
    if log_uri:
        kwargs["LogUri"] = log_uri
    return str(emr.run_job_flow(**kwargs)["JobFlowId"])


def kiter_process(
    root: Path, *args: str, stdin: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """`python -m kiter ARGS` in `root` as a process of its own (the JVM engines' CLI tests)."""
    return subprocess.run(
        [sys.executable, "-m", "kiter", *args],
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def local_scaffold(root: Path, *up_args: str) -> Iterator[Path]:
    """`kiter init` in `root`, `kiter local up UP_ARGS`, the checkpoint table on it; the stack is
    stopped afterwards, pass or fail."""
    assert kiter_process(root, "init").returncode == 0
    up = kiter_process(root, "local", "up", *up_args)
    try:
        assert up.returncode == 0, up.stderr
        created = kiter_process(root, "--profile", "local", "metastore", "create")
        assert created.returncode == 0, created.stderr
        yield root
    finally:
        kiter_process(root, "local", "down")


def stopped(pid: int) -> bool:
    """Whether process `pid` is stopped (SIGSTOP): state T in /proc/PID/stat."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")


def paused_holders(
    root: Path,
    submits: dict[str, list[str]],
    *,
    lease: float,
    take_over: Callable[[str], subprocess.CompletedProcess[str]],
    timeout: float = 120,
) -> dict[str, tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]]:
    """Pause holders at the points `KITER_PAUSE_AT` names, past their lease, while others take over.

    `submits` maps a pause point to the kiter arguments of the process paused there (each its
    own job). All are started at once, and each stops itself at its point (kiter.pausepoints);
    once every one has stopped and its lease has run out, `take_over(point)` runs the second
    process for that point; then the first ones resume. Returns, per point, how the first
    process ended and what the second one did.
    """
    import os
    import signal
    import time

    first: dict[str, subprocess.Popen[str]] = {
        point: subprocess.Popen(
            [sys.executable, "-m", "kiter", "-C", str(root), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ | {"KITER_PAUSE_AT": point},
        )
        for point, args in submits.items()
    }
    try:
        deadline = time.monotonic() + timeout
        waiting = dict(first)
        while waiting:
            for point, process in list(waiting.items()):
                if stopped(process.pid):
                    del waiting[point]
                elif process.poll() is not None:
                    out, err = process.communicate()
                    raise AssertionError(f"{point}: ended before its pause point:\n{err}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"never reached their pause points: {sorted(waiting)}")
            time.sleep(0.1)
        time.sleep(lease + 1)  # every lease has run out while its holder cannot renew it
        second = {point: take_over(point) for point in submits}
    finally:
        for process in first.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
    results = {}
    for point, process in first.items():
        out, err = process.communicate(timeout=timeout)
        results[point] = (
            subprocess.CompletedProcess(process.args, process.returncode, out, err),
            second[point],
        )
    return results


# -- the remote AWS targets (tests/targets/emr/, tests/targets/emr_serverless/) ------------------

REGION = "us-east-1"
SCRIPT_BUCKET = "kiter-scripts"
LOG_BUCKET = "kiter-logs"
# A cross-account secret key a script may hold (AWS's documented example key).
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def require_moto(version: str, reader: str) -> None:
    """Refuse to load `reader`, which reads moto's internals, on any moto but `version`."""
    import moto

    if moto.__version__ != version:
        raise RuntimeError(f"{reader} reads moto internals of {version} only")


def with_secret(script: Script) -> Script:
    """The script with a secret-holding SET line, and its masked copy to keep on record."""
    from dataclasses import replace

    text = script.text + f"SET kinesis.secretKey={SECRET_KEY};\n"
    return replace(script, text=text, record_text=text.replace(SECRET_KEY, "****"))


def interrupt(*_args: object) -> NoReturn:
    """A sleep (or a FakeTime hook) that is Ctrl-C."""
    raise KeyboardInterrupt


class LostLease:
    """A Watch whose lease is gone: a follower must stop at its next look."""

    def fence(self) -> None:
        raise AssertionError("nothing may start under a lost lease")

    def held(self) -> bool:
        return False

    def moved(self, handle: Handle) -> None:
        raise AssertionError(f"remote runs do not move ({handle.id})")


class CallLog(list[str]):
    """A Watch whose fences are logged among the AWS operations of the clients it listens to."""

    def __init__(self, *clients: Any) -> None:
        super().__init__()
        for client in clients:
            # Fires for stubbed calls too (botocore's Stubber answers later, at before-call).
            client.meta.events.register("before-parameter-build", self._called)

    def _called(self, model: Any, **_kwargs: Any) -> None:
        self.append(str(model.name))

    def fence(self) -> None:
        self.append("fence")

    def held(self) -> bool:
        return True

    def moved(self, handle: Handle) -> None:
        del handle


class RecordedProgress:
    """A Progress (kiter.echo) that keeps what it was told: `updates` as (state, since, detail),
    `calls` as the names of the calls waited on, `done` how often a wait ended."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, float | None, str]] = []
        self.calls: list[str] = []
        self.done_count = 0

    def update(self, state: str, since: float | None = None, detail: str = "") -> None:
        self.updates.append((state, since, detail))

    @contextmanager
    def calling(self, what: str) -> Iterator[None]:
        self.calls.append(what)
        yield

    def done(self) -> None:
        self.done_count += 1


def project_ledger(owner: Owner) -> Ledger:
    """The ledger of a project with the default [metastore] (its checkpoint table on us-east-1),
    claiming as `owner`: another process, or this one."""
    from kiter.aws import Aws, AwsSettings
    from kiter.metastore.ledger import Ledger

    return Ledger(
        Aws(AwsSettings(region="us-east-1")).client("dynamodb"),
        "MyEMRKinesisTable",
        "HashKey",
        "RangeKey",
        owner=owner,
    )
