"""Incremental staging: unchanged files are not read again, new ones are appended, changed ones replaced, and a
table is checked in full again when a table its checks read was rewritten."""

import os
from pathlib import Path

import pytest
from landing_builder import valid_tables, write_csv, write_landing, write_parquet

from pipelines.contract import TABLES_BY_NAME
from pipelines.profile import load_profile
from pipelines.staging import _overlapping_files, ingest
from pipelines.warehouse import connect

PROFILE = load_profile()
MOVEMENTS = "insurance_fund_movements"


def movement(i: int, day: str, amount: str = "0.10000000") -> dict:
    return {"movement_id": f"MOV-{i}", "fund_id": "coinm-perp", "asset": "BTC", "occurred_at": f"{day}T08:00:00Z",
            "amount": amount, "kind": "liquidation_surplus"}


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """The valid set, with the movements split into one Parquet file per day."""
    tables = valid_tables()
    del tables[MOVEMENTS]
    root = write_landing(tmp_path / "landing", tables)
    (root / MOVEMENTS).mkdir()
    write_parquet(root / MOVEMENTS / "2026-05-01.parquet", MOVEMENTS, [movement(1, "2026-05-01", "0.50000000")])
    write_parquet(root / MOVEMENTS / "2026-05-07.parquet", MOVEMENTS, [
        {**movement(2, "2026-05-07", "-0.00400000"), "occurred_at": "2026-05-07T09:00:00Z", "kind": "compensation"}])
    return root


@pytest.fixture
def con(tmp_path: Path):
    with connect(tmp_path / "wh.duckdb") as connection:
        yield connection


def result_of(result, table: str):
    return next(t for t in result.tables if t.table == table)


def movement_ids(con) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT movement_id FROM staging.{MOVEMENTS} ORDER BY 1").fetchall()]


def assert_extent_matches_rows(con) -> None:
    """The ledger's extent, kept file by file, is what the staged rows give."""
    extent = f"SELECT * FROM staging.{MOVEMENTS}_extent ORDER BY ALL"
    recomputed = (f"SELECT source_file, fund_id, asset, min(occurred_at), max(occurred_at), count(*) "
                  f"FROM staging.{MOVEMENTS} GROUP BY ALL ORDER BY ALL")
    assert con.execute(extent).fetchall() == con.execute(recomputed).fetchall() != []


def test_unchanged_files_are_not_read_again(landing, con):
    first = ingest(con, landing, PROFILE)
    assert first.ok and result_of(first, MOVEMENTS).read == [f"{MOVEMENTS}/2026-05-01.parquet",
                                                            f"{MOVEMENTS}/2026-05-07.parquet"]
    again = ingest(con, landing, PROFILE)
    assert again.ok and all(t.read == [] for t in again.tables)
    assert result_of(again, MOVEMENTS).rows == 2


def test_a_new_file_is_appended_alone(landing, con):
    assert ingest(con, landing, PROFILE).ok
    write_parquet(landing / MOVEMENTS / "2026-05-20.parquet", MOVEMENTS, [movement(3, "2026-05-20")])
    result = ingest(con, landing, PROFILE)
    assert result.ok and result_of(result, MOVEMENTS).read == [f"{MOVEMENTS}/2026-05-20.parquet"]
    assert movement_ids(con) == ["MOV-1", "MOV-2", "MOV-3"]
    assert_extent_matches_rows(con)


def test_a_new_file_repeating_a_kept_key_is_refused(landing, con):
    assert ingest(con, landing, PROFILE).ok
    write_parquet(landing / MOVEMENTS / "2026-05-20.parquet", MOVEMENTS, [movement(1, "2026-05-20")])
    result = ingest(con, landing, PROFILE)
    (error,) = result_of(result, MOVEMENTS).errors
    assert (error.file, error.row, error.field) == (f"{MOVEMENTS}/2026-05-20.parquet", 1, "movement_id")
    assert f"first seen at {MOVEMENTS}/2026-05-01.parquet, row 1" in error.expected
    assert movement_ids(con) == ["MOV-1", "MOV-2"]  # nothing of it loaded
    assert_extent_matches_rows(con)


def test_a_changed_file_replaces_its_rows_and_a_removed_one_takes_them_away(landing, con):
    assert ingest(con, landing, PROFILE).ok
    write_parquet(landing / MOVEMENTS / "2026-05-01.parquet", MOVEMENTS, [movement(10, "2026-05-01", "0.5")])
    (landing / MOVEMENTS / "2026-05-07.parquet").unlink()
    result = ingest(con, landing, PROFILE)
    assert result.ok and result_of(result, MOVEMENTS).read == [f"{MOVEMENTS}/2026-05-01.parquet"]
    assert movement_ids(con) == ["MOV-10"]
    assert_extent_matches_rows(con)


def test_a_rewritten_upstream_table_is_checked_against_again(landing, con):
    assert ingest(con, landing, PROFILE).ok
    tables = valid_tables()
    tables["compensation_claims"][0].update(decision="rejected", rejection_reason="duplicate", approved_amount=None)
    write_csv(landing / "compensation_claims.csv", tables["compensation_claims"],
              TABLES_BY_NAME["compensation_claims"].column_names)
    result = ingest(con, landing, PROFILE)
    payouts = result_of(result, "compensation_payouts")
    # the payouts file did not change, but the claims it pays were rewritten: read and checked again
    assert payouts.read == ["compensation_payouts.csv"]
    assert {(e.record, e.field) for e in payouts.errors} == {("payout_id=PAY-1", "claim_id"),
                                                             ("payout_id=PAY-2", "claim_id")}


def test_touching_a_file_without_changing_it_changes_nothing(landing, con):
    assert ingest(con, landing, PROFILE).ok
    path = landing / MOVEMENTS / "2026-05-01.parquet"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    result = ingest(con, landing, PROFILE)
    assert result.ok and all(t.read == [] for t in result.tables)


def test_a_changed_profile_checks_kept_rows_again(landing, con, tmp_path):
    assert ingest(con, landing, PROFILE).ok
    text = (Path(__file__).parents[1] / "pipelines" / "demo" / "profile.toml").read_text(encoding="utf-8")
    path = tmp_path / "profile.toml"
    path.write_text(text.replace('code = "coinm-perp"', 'code = "coin-margined"'), encoding="utf-8")
    result = ingest(con, landing, load_profile(path))
    movements = result_of(result, MOVEMENTS)
    assert movements.read == [f"{MOVEMENTS}/2026-05-01.parquet", f"{MOVEMENTS}/2026-05-07.parquet"]
    assert {e.field for e in movements.errors} == {"fund_id"}  # coinm-perp is no fund of this profile any more


def test_a_new_demo_set_replaces_the_files_of_the_earlier_one(tmp_path):
    from pipelines.contract import TABLES
    from pipelines.landing import clear_landing, landing_files

    landing = write_landing(tmp_path / "landing", valid_tables())
    (landing / MOVEMENTS).mkdir()
    write_parquet(landing / MOVEMENTS / "2026-05.parquet", MOVEMENTS, [movement(1, "2026-05-01")])
    (landing / "notes.txt").write_text("not a landing file of the contract")
    assert clear_landing(landing, TABLES) == 9
    assert all(landing_files(landing, table) == [] for table in TABLES)
    assert (landing / "notes.txt").exists()


def test_new_keys_are_compared_only_with_files_whose_key_range_overlaps(landing, con):
    assert ingest(con, landing, PROFILE).ok  # 2026-05-01 holds MOV-1, 2026-05-07 holds MOV-2
    table = TABLES_BY_NAME[MOVEMENTS]
    assert _overlapping_files(con, table, {"new": (2, "MOV-3", "MOV-4")}, []) == []
    # keys compare as text: MOV-1 < MOV-15 < MOV-2 < MOV-3
    assert _overlapping_files(con, table, {"new": (2, "MOV-15", "MOV-3")}, []) == [f"{MOVEMENTS}/2026-05-07.parquet"]
    assert _overlapping_files(con, table, {"new": (2, "MOV-0", "MOV-9")}, [f"{MOVEMENTS}/2026-05-07.parquet"]) == [
        f"{MOVEMENTS}/2026-05-01.parquet"]  # a replaced file's rows go: its keys are no conflict
    # a key of two columns has no range: every kept file is compared
    balances = TABLES_BY_NAME["insurance_fund_balances"]
    assert len(_overlapping_files(con, balances, {"new": (1, None, None)}, [])) == 1
