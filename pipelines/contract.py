"""The data contract (DESIGN.md §3), declared once.

Validation, the DuckDB staging DDL and the documentation (`transparency contract`) are all derived from the
`TABLES` declared here. A column's *kind* fixes how its text is checked and which DuckDB type it is stored as.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import pyarrow as pa

from pipelines.dora import its


class Kind(Enum):
    """How a value is written in the landing files, and what it is stored as."""

    ID = "id"  # non-empty text without surrounding whitespace
    TEXT = "text"  # free text
    CODE = "code"  # an asset / currency code: BTC, USDT, EUR
    ENUM = "enum"  # one of the column's allowed values
    TIMESTAMP = "timestamp"  # ISO 8601 with an explicit UTC offset (Z or ±HH:MM)
    DATE = "date"  # YYYY-MM-DD
    DECIMAL = "decimal"  # plain decimal digits, never a float or exponent notation
    INTEGER = "integer"
    BOOLEAN = "boolean"  # true | false
    COUNTRY_LIST = "country_list"  # ISO 3166-1 alpha-2 codes; CSV: separated by ';', JSON/Parquet: a list
    ENUM_LIST = "enum_list"  # one or more of the column's allowed values; CSV: separated by ';', JSON/Parquet: a list


# DuckDB storage type of each kind. Amounts keep 18 fractional digits (enough for wei-denominated assets).
DUCKDB_TYPE = {
    Kind.ID: "VARCHAR",
    Kind.TEXT: "VARCHAR",
    Kind.CODE: "VARCHAR",
    Kind.ENUM: "VARCHAR",
    Kind.TIMESTAMP: "TIMESTAMPTZ",
    Kind.DATE: "DATE",
    Kind.DECIMAL: "DECIMAL(38, 18)",
    Kind.INTEGER: "BIGINT",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.COUNTRY_LIST: "VARCHAR[]",
    Kind.ENUM_LIST: "VARCHAR[]",
}
# The kinds written as a list of codes.
LIST_KINDS = (Kind.COUNTRY_LIST, Kind.ENUM_LIST)
DECIMAL_MAX_INTEGER_DIGITS = 20
DECIMAL_MAX_FRACTION_DIGITS = 18

# The Arrow type of each kind in the Parquet landing files the project writes (the demo's exchange-scale months).
ARROW_TYPE = {
    Kind.ID: pa.string(),
    Kind.TEXT: pa.string(),
    Kind.CODE: pa.string(),
    Kind.ENUM: pa.string(),
    Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    Kind.DATE: pa.date32(),
    Kind.DECIMAL: pa.decimal128(38, 18),
    Kind.INTEGER: pa.int64(),
    Kind.BOOLEAN: pa.bool_(),
    Kind.COUNTRY_LIST: pa.list_(pa.string()),
    Kind.ENUM_LIST: pa.list_(pa.string()),
}

# The Parquet column types (as DuckDB reads them) each kind accepts in a landing file besides VARCHAR, whose text
# is then checked as in a CSV.
PARQUET_TYPES = {
    Kind.DECIMAL: ("DECIMAL", "BIGINT", "INTEGER", "HUGEINT"),
    Kind.INTEGER: ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"),
    Kind.TIMESTAMP: ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ_NS"),
    Kind.DATE: ("DATE",),
    Kind.BOOLEAN: ("BOOLEAN",),
    Kind.COUNTRY_LIST: ("VARCHAR[]",),
    Kind.ENUM_LIST: ("VARCHAR[]",),
}

# How each kind is described to a person reading an error message.
EXPECTED = {
    Kind.ID: "a non-empty identifier without leading or trailing spaces",
    Kind.TEXT: "text",
    Kind.CODE: "an asset or currency code of 2-10 upper-case letters or digits (e.g. BTC, USDT, EUR)",
    Kind.ENUM: "one of: {values}",
    Kind.TIMESTAMP: "an ISO 8601 timestamp with an explicit UTC offset, e.g. 2026-05-01T12:00:00Z",
    Kind.DATE: "a date written YYYY-MM-DD",
    Kind.DECIMAL: (
        f"a decimal number written in plain digits (at most {DECIMAL_MAX_INTEGER_DIGITS} before and "
        f"{DECIMAL_MAX_FRACTION_DIGITS} after the point), e.g. 1234.56"
    ),
    Kind.INTEGER: "a whole number",
    Kind.BOOLEAN: "true or false",
    Kind.COUNTRY_LIST: "ISO 3166-1 alpha-2 country codes (CSV: separated by ';', e.g. DE;FR)",
    Kind.ENUM_LIST: "one or more of: {values} (CSV: separated by ';')",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    nullable: bool = False
    values: tuple[str, ...] = ()  # allowed values of an ENUM or ENUM_LIST
    non_negative: bool = False
    confidential: bool = False  # never in a public file

    @property
    def expected(self) -> str:
        return EXPECTED[self.kind].format(values=", ".join(self.values))

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPE[self.kind]

    @property
    def arrow_field(self) -> pa.Field:
        return pa.field(self.name, ARROW_TYPE[self.kind], nullable=self.nullable)


@dataclass(frozen=True)
class Reference:
    """`column` must name a row of `table` (where it is not null)."""

    column: str
    table: str
    target: str


@dataclass(frozen=True)
class Extent:
    """`staging.<table>_extent`: per landing file and group (e.g. fund and asset), the first and last `time` and
    the number of rows, kept in the transaction that stages the rows. Marts ask it when a group began or whether
    it has rows at all, instead of scanning every staged row of every month."""

    group: tuple[str, ...]
    time: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # columns that identify a row
    # (earlier, later): where both are set, `later` must not precede `earlier`.
    order: tuple[tuple[str, str], ...] = ()
    references: tuple[Reference, ...] = ()
    # Rules that need more than one column or table: files in sql/validation/, named here.
    rules: tuple[str, ...] = ()
    # Columns whose values must be codes declared in the entity profile: column -> profile list.
    profile_codes: dict[str, str] = field(default_factory=dict)
    # (asset column, time column) pairs: the asset must have a close in `prices` on the UTC day of that time.
    priced: tuple[tuple[str, str], ...] = ()
    # Kept beside the staged rows, per landing file: the first and last time and the rows of each group.
    extent: Extent | None = None
    # Never shown on a public page (its codes need no translation): the regulatory back office's own records.
    confidential: bool = False
    # May have no landing file at all (a source that does not keep it, such as a status page): then it has no rows.
    optional: bool = False

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


CATEGORIES = (
    "outage",
    "degradation",
    "trading_halt",
    "erroneous_liquidation",
    "withdrawal_delay",
    "deposit_delay",
    "security",
    "data_error",
    "other",
)
SEVERITIES = ("critical", "major", "minor")
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
ROOT_CAUSES = (
    "software_defect",
    "infrastructure_failure",
    "third_party_failure",
    "configuration_change",
    "capacity",
    "human_error",
    "cyber_attack",
    "under_investigation",
)
IMPACTS = ("major_outage", "partial_outage", "degraded_performance")
CHANNELS = ("user_claim", "automatic")
DECISIONS = ("pending", "approved", "partially_approved", "rejected", "withdrawn")
REJECTION_REASONS = (
    "unrealized_profit",
    "not_affected",
    "duplicate",
    "outside_window",
    "insufficient_evidence",
    "other",
)
PAYOUT_METHODS = ("account_credit", "fee_rebate", "voucher", "on_chain")
FUNDING_SOURCES = ("company", "insurance_fund")
MOVEMENT_KINDS = (
    "liquidation_surplus",
    "bankruptcy_cover",
    "platform_contribution",
    "compensation",
    "adl",
    "transfer",
)


def _ts(name: str, description: str, nullable: bool = False) -> Column:
    return Column(name, Kind.TIMESTAMP, description, nullable=nullable)


def _amount(name: str, description: str, nullable: bool = False) -> Column:
    return Column(name, Kind.DECIMAL, description, nullable=nullable, non_negative=True)


INCIDENTS = Table(
    name="incidents",
    description="One row per incident: what failed, when, how badly, and when it was notified.",
    key=("incident_id",),
    columns=(
        Column("incident_id", Kind.ID, "Unique incident identifier."),
        Column("title", Kind.TEXT, "Short public title."),
        Column("public_summary", Kind.TEXT, "Public description of what happened."),
        Column("category", Kind.ENUM, "Kind of failure.", values=CATEGORIES),
        Column("severity", Kind.ENUM, "Operational severity.", values=SEVERITIES),
        Column("status", Kind.ENUM, "Lifecycle status.", values=INCIDENT_STATUSES),
        _ts("started_at", "When the failure began (UTC)."),
        _ts("detected_at", "When the platform detected it (UTC)."),
        _ts("classified_at", "When it was classified under the regulatory scheme (UTC)."),
        _ts("resolved_at", "When service was restored (UTC); empty while the incident is open.", nullable=True),
        # Impact figures a status page does not publish may be empty: reports then say "not provided".
        Column("clients_affected", Kind.INTEGER, "Number of clients affected.", nullable=True, non_negative=True),
        Column("transactions_affected", Kind.INTEGER, "Number of transactions affected.", nullable=True,
               non_negative=True),
        _amount("value_affected", "Value of the transactions affected.", nullable=True),
        Column("value_affected_currency", Kind.CODE, "Currency of value_affected.", nullable=True),
        Column("member_states", Kind.COUNTRY_LIST, "EU member states where clients were affected.", nullable=True),
        Column("data_loss", Kind.BOOLEAN, "Whether data were lost or corrupted.", nullable=True),
        Column("malicious_access", Kind.BOOLEAN, "Whether there was malicious unauthorised access.", nullable=True),
        Column("reputational_impact", Kind.BOOLEAN, "Whether the incident had reputational impact.", nullable=True),
        Column("economic_cost", Kind.DECIMAL, "Direct and indirect economic cost.", nullable=True, non_negative=True,
               confidential=True),
        Column("economic_cost_currency", Kind.CODE, "Currency of economic_cost.", nullable=True),
        Column("root_cause_category", Kind.ENUM, "Root-cause category.", nullable=True, values=ROOT_CAUSES),
        Column("root_cause_detail", Kind.TEXT, "Internal root-cause analysis.", nullable=True, confidential=True),
        Column("internal_notes", Kind.TEXT, "Internal notes.", nullable=True, confidential=True),
        _ts("initial_notified_at", "Initial notification to the regulator (UTC).", nullable=True),
        _ts("intermediate_reported_at", "Intermediate report to the regulator (UTC).", nullable=True),
        _ts("final_reported_at", "Final report to the regulator (UTC).", nullable=True),
    ),
    order=(
        ("started_at", "detected_at"),
        ("detected_at", "classified_at"),
        ("started_at", "resolved_at"),
        ("initial_notified_at", "intermediate_reported_at"),
        ("intermediate_reported_at", "final_reported_at"),
    ),
    rules=("incidents_open_status", "incidents_cost_in_eur", "incidents_amounts_with_currency"),
    # value affected is compared with USD baselines on the start day; the cost with a EUR threshold
    priced=(("value_affected_currency", "started_at"), ("economic_cost_currency", "classified_at")),
)

INCIDENT_IMPACTS = Table(
    name="incident_impacts",
    description="Which service an incident hit, how, and when (a status page's component transitions).",
    key=("incident_id", "service", "impact", "started_at"),
    columns=(
        Column("incident_id", Kind.ID, "The incident."),
        Column("service", Kind.ID, "Service code from the entity profile."),
        Column("impact", Kind.ENUM, "How the service was affected.", values=IMPACTS),
        _ts("started_at", "Start of the impact (UTC)."),
        _ts("ended_at", "End of the impact (UTC); empty = until the incident is resolved.", nullable=True),
    ),
    order=(("started_at", "ended_at"),),
    references=(Reference("incident_id", "incidents", "incident_id"),),
    rules=("incident_impacts_within_incident",),
    profile_codes={"service": "services"},
)

def _enum_list(name: str, values: tuple[str, ...], description: str, nullable: bool = True) -> Column:
    return Column(name, Kind.ENUM_LIST, description, nullable=nullable, values=values)


def _text(name: str, description: str, nullable: bool = True) -> Column:
    return Column(name, Kind.TEXT, description, nullable=nullable)


INCIDENT_DORA_DETAILS = Table(
    name="incident_dora_details",
    description="The facts about an incident that its DORA reports need and the incident row does not hold (ITS "
                "2025/302 Annex II; the field number is in brackets), kept by the regulatory back office for every "
                "incident that may be major. Codes follow the ITS, snake_case.",
    key=("incident_id",),
    confidential=True,
    optional=True,
    columns=(
        Column("incident_id", Kind.ID, "The incident."),
        Column("discovery", Kind.ENUM, "How the incident was discovered (2.7).", values=its.DISCOVERY),
        _text("third_party_origin", "The third-party provider or other entity it originates from, if any (2.8)."),
        Column("bcp_activated", Kind.BOOLEAN, "Whether the business continuity plan was activated (2.9)."),
        _text("other_information", "Other information (2.10); the reasons, when reclassified as non-major."),
        Column("counterparts_affected", Kind.INTEGER, "Financial counterparts affected (3.6).", nullable=True,
               non_negative=True),
        Column("relevant_clients_impact", Kind.BOOLEAN, "Impact on relevant clients or counterparts (3.8).",
               nullable=True),
        _enum_list("estimated_figures", its.ESTIMATED,
                   "The figures that are estimates, not actual data (3.12, 3.17); empty: all actual."),
        _enum_list("reputational_impact_types", its.REPUTATIONAL_IMPACT, "Type of reputational impact (3.13)."),
        _text("reputational_impact_context", "Context of the reputational impact (3.14)."),
        _enum_list("member_state_impact_types", its.MEMBER_STATE_IMPACT,
                   "Type of impact in other Member States (3.18)."),
        _text("member_state_impact_description", "The impact in other Member States (3.19)."),
        _enum_list("data_loss_types", its.DATA_LOSSES, "Type of data loss (3.20)."),
        _text("data_loss_description", "The data losses (3.21)."),
        _enum_list("incident_types", its.INCIDENT_TYPES, "Type of incident (3.23).", nullable=False),
        _text("incident_type_other", "The type, where it is other (3.24)."),
        _enum_list("threats_techniques", its.THREATS, "Threats and techniques used, if cyber-related (3.25)."),
        _text("threats_techniques_other", "Other threats and techniques (3.26)."),
        _text("functional_areas", "Functional areas and business processes affected (3.27).", nullable=False),
        Column("infrastructure_affected", Kind.ENUM, "Whether infrastructure components were affected (3.28).",
               values=its.YES_NO_UNKNOWN),
        _text("infrastructure_description", "The infrastructure components affected (3.29)."),
        Column("clients_financial_interests", Kind.ENUM, "Impact on the financial interests of clients (3.30).",
               values=its.YES_NO_UNKNOWN),
        _enum_list("other_authorities", its.OTHER_AUTHORITIES, "Other authorities informed (3.31).",
                   nullable=False),
        _text("other_authorities_other", "The other authorities informed, where other (3.32)."),
        Column("temporary_actions", Kind.BOOLEAN, "Whether temporary actions or measures were taken (3.33)."),
        _text("temporary_actions_description", "The temporary actions and measures (3.34)."),
        _text("indicators_of_compromise", "Indicators of compromise (3.35)."),
        _enum_list("root_cause_types", its.ROOT_CAUSE_TYPES, "Root-cause types, high level (4.1)."),
        _enum_list("root_cause_details", its.ROOT_CAUSE_DETAILS, "Root-cause types, detailed (4.2)."),
        _enum_list("root_cause_additional", its.ROOT_CAUSE_ADDITIONAL, "Root-cause types, additional (4.3)."),
        _text("root_cause_other", "Other root-cause types (4.4)."),
        _text("resolution_actions", "Resolution actions and lessons learnt (4.6)."),
        _ts("root_cause_addressed_at", "When the root cause was addressed (UTC; 4.7).", nullable=True),
        _text("resolution_deviation", "Why the resolution differs from the plan, if it does (4.9)."),
    ),
    references=(Reference("incident_id", "incidents", "incident_id"),),
)

COMPENSATION_CLAIMS = Table(
    name="compensation_claims",
    description="Compensation claims, raised by users or automatically, and their decisions.",
    key=("claim_id",),
    columns=(
        Column("claim_id", Kind.ID, "Unique claim identifier."),
        Column("incident_id", Kind.ID, "The incident the claim is about, if any.", nullable=True),
        Column("account_ref", Kind.ID, "Pseudonymous account reference.", confidential=True),
        Column("channel", Kind.ENUM, "How the claim arose.", values=CHANNELS),
        _ts("submitted_at", "When the claim was submitted (UTC)."),
        _ts("decided_at", "When it was decided (UTC); empty while pending.", nullable=True),
        Column("decision", Kind.ENUM, "Decision.", values=DECISIONS),
        Column("rejection_reason", Kind.ENUM, "Why it was rejected.", nullable=True, values=REJECTION_REASONS),
        _amount("claimed_amount", "Amount claimed, in claimed_asset."),
        Column("claimed_asset", Kind.CODE, "Asset of the claimed and approved amounts."),
        _amount("approved_amount", "Amount approved, in claimed_asset (approved or partially approved).",
                nullable=True),
    ),
    order=(("submitted_at", "decided_at"),),
    references=(Reference("incident_id", "incidents", "incident_id"),),
    rules=("compensation_claims_decision",),
    priced=(("claimed_asset", "decided_at"),),
)

COMPENSATION_PAYOUTS = Table(
    name="compensation_payouts",
    description="Payments made on approved claims.",
    key=("payout_id",),
    columns=(
        Column("payout_id", Kind.ID, "Unique payout identifier."),
        Column("claim_id", Kind.ID, "The claim paid."),
        _ts("paid_at", "When it was paid (UTC)."),
        Column("asset", Kind.CODE, "Asset paid."),
        _amount("amount", "Amount paid, in asset."),
        Column("method", Kind.ENUM, "How it was paid.", values=PAYOUT_METHODS),
        Column("funding_source", Kind.ENUM, "Who bore the cost.", values=FUNDING_SOURCES),
    ),
    references=(Reference("claim_id", "compensation_claims", "claim_id"),),
    rules=("compensation_payouts_claim_payable",),
    priced=(("asset", "paid_at"),),
)

INSURANCE_FUND_BALANCES = Table(
    name="insurance_fund_balances",
    description="Snapshots of insurance-fund balances, any frequency.",
    key=("fund_id", "asset", "as_of"),
    columns=(
        Column("fund_id", Kind.ID, "Fund code from the entity profile."),
        Column("asset", Kind.CODE, "Asset held."),
        _ts("as_of", "Instant of the snapshot (UTC)."),
        Column("balance", Kind.DECIMAL, "Balance at as_of, in asset."),
    ),
    priced=(("asset", "as_of"),),
    profile_codes={"fund_id": "funds"},
)

INSURANCE_FUND_MOVEMENTS = Table(
    name="insurance_fund_movements",
    description="Signed ledger of insurance-fund movements.",
    key=("movement_id",),
    columns=(
        Column("movement_id", Kind.ID, "Unique movement identifier."),
        Column("fund_id", Kind.ID, "Fund code from the entity profile."),
        Column("asset", Kind.CODE, "Asset moved."),
        _ts("occurred_at", "When it happened (UTC)."),
        Column("amount", Kind.DECIMAL, "Signed amount: positive into the fund, negative out of it."),
        Column("kind", Kind.ENUM, "Kind of movement.", values=MOVEMENT_KINDS),
    ),
    priced=(("asset", "occurred_at"),),
    profile_codes={"fund_id": "funds"},
    extent=Extent(group=("fund_id", "asset"), time="occurred_at"),
)

PRICES = Table(
    name="prices",
    description="Daily USD close of every asset and currency that appears in the data.",
    key=("asset", "date"),
    columns=(
        Column("asset", Kind.CODE, "Asset or currency code."),
        Column("date", Kind.DATE, "UTC calendar day."),
        Column("close_usd", Kind.DECIMAL, "Close in USD.", non_negative=True),
    ),
)

# In dependency order: a table's references point to tables before it.
TABLES: tuple[Table, ...] = (
    PRICES,
    INCIDENTS,
    INCIDENT_IMPACTS,
    INCIDENT_DORA_DETAILS,
    COMPENSATION_CLAIMS,
    COMPENSATION_PAYOUTS,
    INSURANCE_FUND_BALANCES,
    INSURANCE_FUND_MOVEMENTS,
)
TABLES_BY_NAME = {t.name: t for t in TABLES}
