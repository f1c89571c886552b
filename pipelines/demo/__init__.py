"""Seeded demo data: a realistic crypto exchange's landing files (DESIGN.md §7).

`generate_demo` (`small`) writes one file per contract table for `transparency demo`; `generate_large` (`large`)
writes exchange-sized Parquet months for benchmarks (`--scale`). The story the data tell, month after month:

* **prices** (`prices`) follow correlated random walks with one or more sharp crash days.
* **incidents** (`incident_plans`, `incidents`, `incident_text`, `incident_reporting`) arrive as a Poisson
  process with heavy-tailed durations; a severe incident makes the next one more likely to be severe. Each crash
  day brings a trading halt and a wave of erroneous liquidations on the derivatives service, overlapping in time.
* **claims** (`compensation`) come in proportion to the clients an incident affected, with heavy-tailed amounts;
  decisions, decision delays and payout delays are lognormal.
* **insurance funds** (`funds`, `fund_ledger`) receive many small liquidation surpluses and pay rare, spiky
  bankruptcy covers, clustered on crash days; they also fund part of the compensation. Balance snapshots are
  exactly the running sum of the ledger.

Conventions used throughout: instants are integer seconds since the Unix epoch (UTC), days are integer days since
the epoch (`window`), money is an integer count of minor units (never a float once drawn) and becomes a `Decimal`
only when it is written (`assets`). Floats appear only while drawing random quantities, before they are rounded to
minor units.
"""

from pipelines.demo.large import generate_large, parse_scale
from pipelines.demo.small import generate_demo

__all__ = ["generate_demo", "generate_large", "parse_scale"]
