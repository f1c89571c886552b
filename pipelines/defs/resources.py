"""Resources, configured in one place: where the landing files, the warehouse and the reports live.

Paths default to pipelines/locations.py's (`data/landing/`, `data/warehouse.duckdb`, `reports/`, each overridden
by its TRANSPARENCY_* variable). The entity profile is `./profile.toml` when present, TRANSPARENCY_PROFILE when
set, and otherwise the demo profile shipped with the package.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.locations import LANDING, REPORTS, WAREHOUSE, build_root, location
from pipelines.profile import Profile, default_profile_path, load_profile
from pipelines.warehouse import connect


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB file; only the pipeline writes it."""

    path: str
    # DuckDB's buffer pool; beyond it, joins and aggregations spill to `<warehouse>.tmp/`. Python, the readers and
    # DuckDB's own allocations outside the pool come on top: 3 GB keeps an exchange-scale month under 4 GiB.
    memory_limit: str = "3GB"

    @contextmanager
    def connect(self):
        con: duckdb.DuckDBPyConnection = connect(Path(self.path), memory_limit=self.memory_limit)
        try:
            yield con
        finally:
            con.close()


class LandingResource(dg.ConfigurableResource):
    """The landing directory and the entity profile that describes its data."""

    path: str
    profile_path: str = ""

    @property
    def directory(self) -> Path:
        return Path(self.path)

    def profile(self) -> Profile:
        return load_profile(Path(self.profile_path) if self.profile_path else None)


class ReportsResource(dg.ConfigurableResource):
    """Where publications go (reports/: a folder per period, the archive page, the analyst snapshot), and the
    working folder where a period's files are built before publication."""

    path: str
    build_path: str = str(build_root(WAREHOUSE[1]))

    @property
    def directory(self) -> Path:
        return Path(self.path)

    def build_dir(self, period: str) -> Path:
        return Path(self.build_path) / period

    def compensation_root(self, period: str) -> Path:
        """Beside the build folder: the month's compensation root and the inputs it was built from."""
        return Path(self.build_path) / f"{period}.compensation_root.json"

    def compensation_tree(self, period: str) -> Path:
        """Beside the build folder: the month's receipt store (pipelines/receipt_store.py), confidential."""
        return Path(self.build_path) / f"{period}.compensation_tree.duckdb"

    def receipts_dir(self, period: str, version: int) -> Path:
        """The back office's receipt store of a version (tree.duckdb, `transparency receipt issue`): confidential,
        beside the warehouse and outside reports/, so that nothing published points to them."""
        return Path(self.build_path).parent / "confidential" / "receipts" / period / f"v{version}"

    @property
    def analytics_snapshot(self) -> Path:
        return self.directory / "analytics.duckdb"

    @property
    def analytics_export(self) -> Path:
        return self.directory / "analytics"


def make_resources(
    landing: str | None = None, warehouse: str | None = None, profile: str | None = None, reports: str | None = None
) -> dict[str, dg.ConfigurableResource]:
    warehouse = warehouse or location(WAREHOUSE)
    return {
        "landing": LandingResource(path=landing or location(LANDING),
                                   profile_path=profile if profile is not None else default_profile_path()),
        "warehouse": WarehouseResource(path=warehouse),
        "reports": ReportsResource(path=reports or location(REPORTS), build_path=str(build_root(warehouse))),
    }
