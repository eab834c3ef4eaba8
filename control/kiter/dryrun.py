"""What a submit would do, worked out without doing any of it (`kiter submit/run --dry-run`).

A plan reads the ledger as a claim would (the claim's own decision, `LedgerClaiming.preview`),
for a staged job lists the stream's shards to say where each would start, renders the script
and asks the target where it would go. It writes nothing anywhere: no ledger item, no S3 object,
no staging partition, no engine call; ListShards and the ledger's reads are all it asks of AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiter.adopt.owned import check_effective_settings
from kiter.echo import no_echo
from kiter.errors import KiterError
from kiter.secrets import cross_account_secrets

if TYPE_CHECKING:
    from kiter.metastore.ledger import Ledger
    from kiter.metastore.records import IterationRecord
    from kiter.project import JobConfig, TargetConfig
    from kiter.runner import Runner
    from kiter.targets.base import Script


@dataclass(frozen=True)
class Plan:
    """One job's next submit, as it would happen now."""

    job: str
    logical_name: str
    target: str
    target_kind: str
    iteration: int
    attempt: int
    claim: str  # next, retry (of an iteration that has not SUCCEEDED) or rerun (of one that has)
    script_sha256: str
    destination: dict[str, str | None]
    shards: list[dict[str, Any]] | None = None  # staged jobs: where each shard's read starts
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The plan's body (printed as schema kiter.plan/1, see kiter.jsondoc)."""
        return {
            "job": self.job,
            "logical_name": self.logical_name,
            "target": self.target,
            "target_kind": self.target_kind,
            "iteration": self.iteration,
            "attempt": self.attempt,
            "claim": self.claim,
            "script_sha256": self.script_sha256,
            "destination": self.destination,
            "shards": self.shards,
            "notes": list(self.notes),
        }

    def lines(self) -> list[str]:
        """The plan as text, one fact a line."""
        kind = {
            "next": "the next",
            "retry": "a retry (rendered as a rerun)",
            "rerun": "a rerun of a SUCCEEDED iteration",
        }[self.claim]
        out = [
            f"job {self.job} (logical name {self.logical_name})",
            f"  would claim   iteration {self.iteration}, attempt {self.attempt}: {kind}",
            f"  target        {self.target} ({self.target_kind})",
            f"  script sha256 {self.script_sha256}",
        ]
        out += [f"  {key:<13} {value}" for key, value in self.destination.items() if value]
        for shard in self.shards or []:
            out.append(f"  shard         {shard['shard_id']}: {_start_text(shard)}")
        out += [f"  note          {note}" for note in self.notes]
        return out


def plan_submit(
    runner: Runner,
    job: JobConfig,
    target: TargetConfig,
    iteration: int | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Plan:
    """What `runner.run(job, target)` would do now; raises what it would refuse with (exit 2
    for a target that cannot run the job, 3 while another run holds the logical name, 4 for an
    iteration that cannot start)."""
    from kiter.attemptscript import script_for

    overrides = dict(overrides or {})
    runner.preflight(job, target, overrides)
    secrets = cross_account_secrets(runner.env) if job.cross_account else {}
    preview = runner.ledger.claiming.preview(job.logical_name, iteration)
    shards = None
    if job.mode == "staged":
        from kiter.stream.iteration import planned_starts

        recorded = preview.existing.shards if preview.existing else {}
        shards = planned_starts(
            job,
            preview.iteration,
            recorded,
            preview.previous,
            lambda: runner.aws.client("kinesis"),
        )
    rendered = runner.renderer.render(
        job, preview.iteration, overrides=overrides, rerun=preview.rerun, secrets=secrets
    )
    settings = runner.renderer.settings(job, preview.iteration)
    check_effective_settings(rendered.submit_text, job.engine, settings)
    script = script_for(
        job,
        rendered,
        iteration=preview.iteration,
        attempt=preview.attempt,
        overrides=overrides,
        has_secrets=bool(secrets),
    )
    return Plan(
        job=job.name,
        logical_name=job.logical_name,
        target=target.name,
        target_kind=target.kind,
        iteration=preview.iteration,
        attempt=preview.attempt,
        claim=_claim_kind(preview.existing),
        script_sha256=rendered.sha256,
        destination=_destination(runner, target, script),
        shards=shards,
        notes=preview.notes + rendered.notes,
    )


def iteration_to_render(open_ledger: Callable[[], Ledger], logical: str) -> tuple[int, bool, str]:
    """(iteration, rerun, what was used) for `kiter render` without --iteration: the ledger's
    next as a claim would take it, or 0 when the ledger cannot be read (offline use)."""
    try:
        preview = open_ledger().claiming.preview(logical)
    except KiterError as exc:
        return 0, False, f"rendering iteration 0: the ledger could not be read ({exc})"
    kind = f"a retry, attempt {preview.attempt}" if preview.rerun else "the next"
    return (
        preview.iteration,
        preview.rerun,
        f"rendering iteration {preview.iteration} of {logical}: the ledger's next ({kind})",
    )


def _claim_kind(existing: IterationRecord | None) -> str:
    if existing is None:
        return "next"
    return "rerun" if existing.state == "SUCCEEDED" else "retry"


def _destination(runner: Runner, target: TargetConfig, script: Script) -> dict[str, str | None]:
    """Where the script would go on this target, as the target itself names it."""
    if target.kind == "pig":
        # The folder PigTarget.start makes for the attempt (building the target would look
        # for a Pig installation, which a plan has no need of).
        folder = runner.project.local_dir / "pig" / script.logical_name
        return {"run_folder": str(folder / str(script.iteration) / str(script.attempt))}
    engine: Any = runner.make_target(target, no_echo)
    if target.kind == "hiveserver2":
        return {"address": str(engine.address)}
    noun = "step_name" if target.kind == "emr" else "job_run_name"
    return {"script_url": engine.script_url(script), noun: engine.run_name(script)}


def _start_text(shard: Mapping[str, Any]) -> str:
    if not shard["reads"]:
        return "read to its end by an earlier iteration: nothing to read"
    kind = shard["iterator_type"]
    if shard["sequence_number"] is not None:
        where = f"{kind} {shard['sequence_number']}"
    elif shard["timestamp"] is not None:
        where = f"{kind} {shard['timestamp']}"
    else:
        where = str(kind)
    if shard["ends_at"] is not None:
        where += f", to {shard['ends_at']} (the recorded end)"
    if shard["waits_for"]:
        where += f", after its parent(s) {', '.join(shard['waits_for'])}"
    return where
