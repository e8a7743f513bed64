"""The nightly flow (Prefect 3): pull every enabled TSO side by side, ingest, reconcile, summarize.

Thin wrappers only: every step is a plain function in :mod:`flows.steps`. Pull tasks carry the tag
``tso-NN`` (a tag concurrency limit keeps one pull per TSO at a time) and are retried for transient
errors only; one TSO failing never stops the others. Ingest runs as a subflow that prepares files
``local``ly (ingest's own threads) or on a ``dask`` cluster (plain Dask tasks, one per file);
the commit stays in this process, under the warehouse writer lock.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.states import Failed, State

from core.config import Config, ConfigError, TsoConfig
from core.paths import WarehouseLayout
from flows import steps
from flows.limits import ensure_tag_limits, tso_tag
from flows.plan import RunPlan, plan_run
from flows.report import print_summary, summary_markdown
from flows.scale import dask_mapper
from tso.client import Failure, TsoResult

PULL_RETRIES = 2
ARTIFACT_KEY = "takuso-nightly-summary"


class TransientPullError(Exception):
    """A TSO's pull ended with transient failures; Prefect pulls it again (already landed files are kept)."""

    def __init__(self, result: TsoResult) -> None:
        self.result = result
        failures = steps.transient_failures(result)
        super().__init__(f"{result.area_code}: {len(failures)} transient failure(s), first: {failures[0].message}")


def _retry_only_transient(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except TransientPullError:
        return True
    except Exception:
        return False
    return False


def _last_attempt() -> bool:
    ctx = TaskRunContext.get()
    if ctx is None:
        return True
    return ctx.task_run.run_count > (ctx.task.retries or 0)


@task(name="pull", retries=PULL_RETRIES, retry_condition_fn=_retry_only_transient, cache_policy=NO_CACHE)
def pull_task(tso: TsoConfig, warehouse: Path, loopback_only: bool) -> TsoResult:
    """Pull one TSO; raise :class:`TransientPullError` (to be retried) unless this is the last attempt."""
    result = steps.pull_one(tso, warehouse, loopback_only=loopback_only)
    if steps.transient_failures(result) and not _last_attempt():
        raise TransientPullError(result)
    return result


@flow(name="takuso-ingest", validate_parameters=False)
def ingest_flow(layout: WarehouseLayout, config: Config, inbox: Path, plan: RunPlan) -> steps.IngestOutcome:
    """Ingest tonight's landed files and the inbox as one run (the single writer); with the ``dask`` task
    runner, files are prepared on the Dask cluster as plain Dask tasks (no Prefect on the workers)."""
    if plan.task_runner != "dask":
        return steps.ingest_night(layout, config, inbox)
    with dask_mapper(plan.dask_address, n_workers=plan.dask_workers, processes=plan.dask_processes) as mapper:
        return steps.ingest_night(layout, config, inbox, mapper=mapper)


@task(name="reconcile", cache_policy=NO_CACHE)
def reconcile_task(
    layout: WarehouseLayout, months: list[date], tolerance_kwh: str, tariffs: Path | None = None
) -> steps.ReconcileOutcome:
    return steps.reconcile_months(layout, months, tolerance_kwh, tariffs)


def _pull_result(future: Any, tso: TsoConfig) -> TsoResult:
    try:
        return future.result()
    except TransientPullError as exc:  # defensive: the last attempt returns, but a state may still carry it
        return exc.result
    except Exception as exc:
        return TsoResult(tso.area_code, tso.account, failures=[Failure(f"pull task failed: {exc}")])


def _pull_all(plan: RunPlan, retry_delay_s: float) -> list[TsoResult]:
    tsos = plan.config.selected_tsos()
    ensure_tag_limits([t.area_code for t in tsos])
    futures = [
        pull_task.with_options(
            tags={tso_tag(t.area_code)},
            task_run_name=f"pull-{t.area_code}",
            retry_delay_seconds=retry_delay_s,
        ).submit(t, plan.layout.root, plan.config.loopback_only)
        for t in tsos
    ]
    return [_pull_result(f, t) for f, t in zip(futures, tsos, strict=True)]


@flow(name="takuso-nightly", validate_parameters=False)
def nightly(
    config: Config | None = None,
    config_path: str | None = None,
    warehouse: str | None = None,
    inbox: str | None = None,
    run_date: str | None = None,
    task_runner: str | None = None,
    dask_address: str | None = None,
    retry_delay_s: float = 30.0,
    show_summary: bool = True,
) -> steps.NightlyResult | State:
    """Pull all enabled TSOs, ingest the new files and the inbox, reconcile the months touched.

    ``config`` (an embedded configuration, as ``takuso demo`` uses) wins over ``config_path``
    (``takuso.toml``). The result's ``exit_code`` follows the contract: 0, 1 (rejections or TSO
    failures) or 2 (configuration error). A night whose exit status is not 0 ends in Prefect's
    ``Failed`` state (its message says why), so ``serve`` and the Prefect UI show it; the result rides
    along as the state's data (:func:`run_nightly` returns it).
    """
    try:
        plan = plan_run(
            config=config,
            config_path=config_path,
            warehouse=warehouse,
            inbox=inbox,
            run_date=run_date,
            task_runner=task_runner,
            dask_address=dask_address,
        )
    except (ConfigError, ValueError) as exc:
        result = steps.NightlyResult(date.today(), Path(warehouse or "."), error=str(exc))
        return _finish(result, show_summary)
    pulls = _pull_all(plan, retry_delay_s)
    outcome = ingest_flow(plan.layout, plan.config, plan.inbox, plan)
    result = steps.summarize(plan.run_date, plan.layout, pulls, outcome)
    rec = plan.config.reconcile
    result.reconcile = reconcile_task(plan.layout, outcome.months, rec.tolerance_kwh, rec.tariffs)
    return _finish(result, show_summary)


def _finish(result: steps.NightlyResult, show_summary: bool) -> steps.NightlyResult | State:
    create_markdown_artifact(
        key=ARTIFACT_KEY,
        markdown=summary_markdown(result),
        description=f"takuso nightly run {result.run_date.isoformat()}: exit status {result.exit_code}",
    )
    if show_summary:
        print_summary(result)
    if result.exit_code:
        return Failed(message=f"exit status {result.exit_code}: {result.verdict}", data=result)
    return result


def run_nightly(**parameters: Any) -> tuple[steps.NightlyResult, State]:
    """Run :func:`nightly` and return its result and its final Prefect state, whether it failed or not.

    A crash (an exception the flow did not turn into a result) is raised again.
    """
    state = nightly(**parameters, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    if not isinstance(result, steps.NightlyResult):
        raise RuntimeError(f"the nightly flow ended in state {state.name} without a result: {result!r}")
    return result, state
