"""Materialising the definitions' assets in-process: the one way the CLI, the tests and the benchmarks run the
graph (operators run the same assets through the Dagster instance: definitions.py)."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import MONTHLY_ASSETS, defs

JOB = "transparency_in_process"


def graph_assets() -> list[dg.AssetsDefinition]:
    return [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]


def asset_job(selection: str | dg.AssetSelection, resources: dict, loggers: dict | None = None) -> dg.JobDefinition:
    """A job of the assets (and their checks) matching `selection`, with the given resources and loggers."""
    return dg.Definitions(
        jobs=[dg.define_asset_job(JOB, selection=selection)], assets=graph_assets(), resources=resources,
        executor=dg.in_process_executor, **({"loggers": loggers} if loggers else {}),
    ).resolve_job_def(JOB)


def materialize(resources: dict, selection: str | dg.AssetSelection | None = None, period: str | None = None,
                **options) -> dg.ExecuteInProcessResult:
    """Run `selection` (Dagster's selection syntax or an AssetSelection; every monthly asset by default) for the month
    `period` (YYYY-MM; None for the unpartitioned assets); failures are in the result, not raised. `options` as
    execute's."""
    return execute(asset_job(selection or MONTHLY_ASSETS, resources), period, **options)


def execute(job: dg.JobDefinition, period: str | None = None, *, instance: dg.DagsterInstance | None = None,
            run_config: dict | None = None, tags: dict | None = None) -> dg.ExecuteInProcessResult:
    """Run `job` in this process for the month `period`."""
    return job.execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(),
        partition_key=f"{period}-01" if period else None,
        raise_on_error=False,
        run_config=run_config,
        tags=tags,
    )
