"""The monthly partitions every period asset shares, and how a month's asset reads another month's."""

import os
import warnings

import dagster as dg

# The first month the definitions know; data before it can still be read, it just has no partition.
FIRST_MONTH = os.environ.get("TRANSPARENCY_FIRST_MONTH", "2024-01")
monthly = dg.MonthlyPartitionsDefinition(start_date=f"{FIRST_MONTH}-01")

# A mart built over the month before (`-- windows: previous_month`) reads that month's partitions of the marts it
# reads through its windows. The first partition has no month before it.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)  # allow_nonexistent_upstream_partitions
    PREVIOUS_MONTH = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1,
                                                   allow_nonexistent_upstream_partitions=True)


def period_of(context: dg.AssetExecutionContext) -> str:
    """The `YYYY-MM` period of a monthly partition key (`YYYY-MM-01`)."""
    return context.partition_key[:7]
