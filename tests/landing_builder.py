"""A small, valid, hand-written landing set, and writers for each landing format.

Tests start from `valid_tables()`, change one thing, write it with `write_landing`, and check what the
pipeline says. Every value is a string as it would stand in a CSV file (None = empty).
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contract import INCIDENT_DORA_DETAILS, TABLES_BY_NAME, Kind

Row = dict[str, str | None]


def _days(first: str, count: int) -> list[str]:
    from datetime import date, timedelta

    start = date.fromisoformat(first)
    return [(start + timedelta(days=i)).isoformat() for i in range(count)]


def valid_tables() -> dict[str, list[Row]]:
    """Two incidents, three claims, two payouts, one fund with one asset: valid against the demo profile."""
    prices = [
        {"asset": asset, "date": day, "close_usd": close}
        for day in _days("2026-04-30", 33)
        for asset, close in (("BTC", "90000.5"), ("USDT", "0.9998"), ("EUR", "1.16"), ("USD", "1"))
    ]
    incident = {
        "incident_id": "INC-1",
        "title": "Spot trading outage",
        "public_summary": "Order matching stopped.",
        "category": "outage",
        "severity": "major",
        "status": "resolved",
        "started_at": "2026-05-03T10:00:00Z",
        "detected_at": "2026-05-03T10:05:00Z",
        "classified_at": "2026-05-03T10:30:00Z",
        "resolved_at": "2026-05-03T12:00:00Z",
        "clients_affected": "1200",
        "transactions_affected": "5400",
        "value_affected": "1250000.00",
        "value_affected_currency": "USD",
        "member_states": "DE;FR",
        "data_loss": "false",
        "malicious_access": "false",
        "reputational_impact": "true",
        "economic_cost": "25000.00",
        "economic_cost_currency": "EUR",
        "root_cause_category": "software_defect",
        "root_cause_detail": "Matching engine deadlock.",
        "internal_notes": "Paged on-call.",
        "initial_notified_at": "2026-05-03T12:30:00Z",
        "intermediate_reported_at": "2026-05-05T12:30:00Z",
        "final_reported_at": "2026-05-20T12:30:00Z",
    }
    open_incident = dict(
        incident,
        incident_id="INC-2",
        title="Delayed withdrawals",
        category="withdrawal_delay",
        severity="minor",
        status="investigating",
        started_at="2026-05-30T22:00:00Z",
        detected_at="2026-05-30T22:10:00Z",
        classified_at="2026-05-30T23:00:00Z",
        resolved_at=None,
        member_states=None,
        initial_notified_at=None,
        intermediate_reported_at=None,
        final_reported_at=None,
    )
    impacts = [
        {"incident_id": "INC-1", "service": "spot", "impact": "major_outage",
         "started_at": "2026-05-03T10:00:00Z", "ended_at": "2026-05-03T11:00:00Z"},
        {"incident_id": "INC-1", "service": "spot", "impact": "partial_outage",
         "started_at": "2026-05-03T11:00:00Z", "ended_at": None},
        {"incident_id": "INC-2", "service": "withdrawals", "impact": "degraded_performance",
         "started_at": "2026-05-30T22:00:00Z", "ended_at": None},
    ]
    claim = {
        "claim_id": "CLM-1", "incident_id": "INC-1", "account_ref": "acct_aaaa", "channel": "user_claim",
        "submitted_at": "2026-05-04T09:00:00Z", "decided_at": "2026-05-06T09:00:00Z", "decision": "approved",
        "rejection_reason": None, "claimed_amount": "0.01000000", "claimed_asset": "BTC",
        "approved_amount": "0.01000000",
    }
    claims = [
        claim,
        dict(claim, claim_id="CLM-2", account_ref="acct_bbbb", decision="rejected",
             rejection_reason="unrealized_profit", approved_amount=None, claimed_asset="USDT",
             claimed_amount="500.00"),
        dict(claim, claim_id="CLM-3", account_ref="acct_cccc", decision="pending", decided_at=None,
             approved_amount=None, incident_id=None),
    ]
    payouts = [
        {"payout_id": "PAY-1", "claim_id": "CLM-1", "paid_at": "2026-05-07T09:00:00Z", "asset": "BTC",
         "amount": "0.00600000", "method": "account_credit", "funding_source": "company"},
        {"payout_id": "PAY-2", "claim_id": "CLM-1", "paid_at": "2026-05-07T09:00:00Z", "asset": "BTC",
         "amount": "0.00400000", "method": "fee_rebate", "funding_source": "insurance_fund"},
    ]
    balances = [
        {"fund_id": "coinm-perp", "asset": "BTC", "as_of": "2026-04-30T00:00:00Z", "balance": "100.00000000"},
        {"fund_id": "coinm-perp", "asset": "BTC", "as_of": "2026-05-15T00:00:00Z", "balance": "100.49600000"},
    ]
    movements = [
        {"movement_id": "MOV-1", "fund_id": "coinm-perp", "asset": "BTC", "occurred_at": "2026-05-01T08:00:00Z",
         "amount": "0.50000000", "kind": "liquidation_surplus"},
        {"movement_id": "MOV-2", "fund_id": "coinm-perp", "asset": "BTC", "occurred_at": "2026-05-07T09:00:00Z",
         "amount": "-0.00400000", "kind": "compensation"},
    ]
    details = {column: None for column in INCIDENT_DORA_DETAILS.column_names} | {
        "incident_id": "INC-1", "discovery": "monitoring_systems", "bcp_activated": True,
        "incident_types": ["system_failure"], "functional_areas": "Order entry.", "infrastructure_affected": "yes",
        "clients_financial_interests": "no", "other_authorities": ["none"], "temporary_actions": False,
        "root_cause_types": ["system_failure_malfunction"], "root_cause_details": ["software_performance"]}
    return {
        "prices": prices,
        "incidents": [incident, open_incident],
        "incident_impacts": impacts,
        "incident_dora_details": [details],
        "compensation_claims": claims,
        "compensation_payouts": payouts,
        "insurance_fund_balances": balances,
        "insurance_fund_movements": movements,
    }


def write_csv(path: Path, rows: list[Row], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return path


def _json_value(kind: Kind, text: str | None) -> object:
    if text is None:
        return None
    if kind is Kind.INTEGER:
        return int(text)
    if kind is Kind.BOOLEAN:
        return text == "true"
    if kind is Kind.COUNTRY_LIST:
        return text.split(";")
    return text


def write_jsonl(path: Path, table: str, rows: list[Row]) -> Path:
    spec = TABLES_BY_NAME[table]
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = {c.name: _json_value(c.kind, row.get(c.name)) for c in spec.columns}
            handle.write(json.dumps(record) + "\n")
    return path


_ARROW = {
    Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    Kind.DECIMAL: pa.decimal128(38, 18),
    Kind.INTEGER: pa.int64(),
    Kind.BOOLEAN: pa.bool_(),
    Kind.DATE: pa.date32(),
    Kind.COUNTRY_LIST: pa.list_(pa.string()),
}


def write_parquet(path: Path, table: str, rows: list[Row]) -> Path:
    from datetime import date, datetime

    spec = TABLES_BY_NAME[table]
    convert = {
        Kind.TIMESTAMP: lambda t: datetime.fromisoformat(t),
        Kind.DECIMAL: Decimal,
        Kind.INTEGER: int,
        Kind.BOOLEAN: lambda t: t == "true",
        Kind.DATE: date.fromisoformat,
        Kind.COUNTRY_LIST: lambda t: t.split(";"),
    }
    arrays = {}
    for c in spec.columns:
        to_value = convert.get(c.kind, str)
        values = [None if r.get(c.name) is None else to_value(r[c.name]) for r in rows]
        arrays[c.name] = pa.array(values, _ARROW.get(c.kind, pa.string()))
    pq.write_table(pa.table(arrays), path)
    return path


# The format each table is written in by default: every reader is exercised by the valid set.
DEFAULT_FORMAT = {
    "prices": "csv",
    "incidents": "jsonl",
    "incident_impacts": "csv",
    "incident_dora_details": "jsonl",
    "compensation_claims": "csv",
    "compensation_payouts": "csv",
    "insurance_fund_balances": "csv",
    "insurance_fund_movements": "parquet",
}


def write_landing(directory: Path, tables: dict[str, list[Row]], formats: dict[str, str] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    formats = {**DEFAULT_FORMAT, **(formats or {})}
    for table, rows in tables.items():
        fmt = formats[table]
        path = directory / f"{table}.{fmt}"
        if fmt == "csv":
            write_csv(path, rows, TABLES_BY_NAME[table].column_names)
        elif fmt == "jsonl":
            write_jsonl(path, table, rows)
        else:
            write_parquet(path, table, rows)
    return directory
