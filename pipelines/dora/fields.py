"""The fields of a DORA major-incident report (ITS 2025/302 Annex II), each once: its number and label, where it
sits in the authorities' "IR" JSON, its JSON Schema, whether each stage must, may or must not carry it (Y / C / N),
when a conditional field is required, and where its value comes from (the period's facts from
sql/reports/dora_report_facts.sql, the entity profile and the submissions register).

The JSON Schema (schemas/dora/) is derived from this table; the stage rules, which a schema cannot express, are
checked by `stage_errors`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from pipelines.dora import its

# The columns of the stage rules: an updated intermediate report follows the intermediate report's.
RULE_STAGE = {"initial": "initial", "intermediate": "intermediate", "updated_intermediate": "intermediate",
              "final": "final", "reclassified": "reclassified"}


@dataclass(frozen=True)
class Source:
    """What a field's value and condition are computed from."""

    facts: dict  # one row of dora_report_facts.sql
    profile: object  # pipelines.profile.Profile
    stage: str
    reference: str | None  # the authority's reference (3.1), from the submissions register


@dataclass(frozen=True)
class Field:
    number: str
    label: str
    path: tuple[str | int, ...]  # where it sits in the IR JSON
    schema: dict  # its JSON Schema
    rules: str  # Y / C / N for initial, intermediate, final, reclassified
    value: Callable[[Source], object]
    # when a C field is required; None: never required (given when known)
    condition: Callable[[Source], bool] | None = None

    def rule(self, stage: str) -> str:
        return self.rules[("initial", "intermediate", "final", "reclassified").index(RULE_STAGE[stage])]


def _text() -> dict:
    return {"type": "string", "minLength": 1, "maxLength": 32767}


def _enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


def _enums(values) -> dict:
    return {"type": "array", "items": _enum(values), "minItems": 1, "uniqueItems": True}


DATETIME = {"type": "string", "format": "date-time", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"}
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
LEI = {"type": "string", "pattern": r"^[A-Z0-9]{18}[0-9]{2}$"}
COUNT = {"type": "integer", "minimum": 0}
PERCENT = {"type": "number", "minimum": 0, "maximum": 100}  # one decimal: the SQL rounds it
MONEY = {"type": "string", "pattern": r"^\d+\.\d{2}$"}  # exact decimals, never a binary float
DURATION = {"type": "string", "pattern": r"^\d{2,}:[0-2]\d:[0-5]\d$"}
BOOLEAN = {"type": "boolean"}
ACTUAL_OR_ESTIMATE = _enum(("actual", "estimate"))


def _utc(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _fact(column: str) -> Callable[[Source], object]:
    return lambda s: s.facts.get(column)


def _time(column: str) -> Callable[[Source], str | None]:
    return lambda s: _utc(s.facts.get(column))


def _criterion(code: str) -> Callable[[Source], bool]:
    return lambda s: code in (s.facts.get("criteria") or [])


def _has(column: str, value: str) -> Callable[[Source], bool]:
    return lambda s: value in (s.facts.get(column) or [])


def _estimate(figure: str) -> Callable[[Source], str]:
    return lambda s: "estimate" if figure in (s.facts.get("estimated_figures") or []) else "actual"


def _percent(column: str) -> Callable[[Source], float | None]:
    # one decimal (the SQL's share_percent); float is exact enough to carry one decimal into JSON
    return lambda s: None if s.facts.get(column) is None else float(s.facts[column])


def _money(column: str) -> Callable[[Source], str | None]:
    return lambda s: None if s.facts.get(column) is None else str(Decimal(s.facts[column]).quantize(Decimal("0.01")))


def _dora(attribute: str) -> Callable[[Source], object]:
    def value(s: Source) -> object:
        found: object = s.profile.dora
        for part in attribute.split("."):
            found = getattr(found, part, None) if found is not None else None
        return found
    return value


def _ordered(column: str, order: tuple[str, ...]) -> Callable[[Source], list[str] | None]:
    return lambda s: sorted(s.facts[column], key=order.index) if s.facts.get(column) else None


def _details_need_additional(s: Source) -> bool:
    return any(detail in its.ADDITIONAL_ROOT_CAUSES for detail in s.facts.get("root_cause_details") or [])


def _details_other(s: Source) -> bool:
    return any(detail.startswith("other_") for detail in s.facts.get("root_cause_details") or [])


# Y / C / N for initial, intermediate, final, reclassified: section 1 in every report; sections 2-4 as Annex II.
GENERAL, INITIAL, INTERMEDIATE, FINAL = "YYYY", "YYYN", "NYYN", "NNYN"
FIELDS: tuple[Field, ...] = (
    Field("1.1", "Type of submission", ("incidentSubmission",), _enum(dict.fromkeys(its.SUBMISSION_TYPES.values())),
          GENERAL, lambda s: its.SUBMISSION_TYPES[s.stage]),
    Field("1.2", "Name of the submitting entity", ("submittingEntity", "name"), _text(), GENERAL,
          lambda s: s.profile.legal_name),
    Field("1.3", "LEI of the submitting entity", ("submittingEntity", "LEI"), LEI, GENERAL, lambda s: s.profile.lei),
    Field("1.4", "Type of the affected financial entity", ("affectedEntity", 0, "affectedEntityType"),
          _enums(its.ENTITY_TYPES), "YYYN", lambda s: [s.profile.dora.entity_type] if s.profile.dora else None),
    Field("1.7", "Primary contact: name", ("primaryContact", "name"), _text(), "YYYN", _dora("primary_contact.name")),
    Field("1.8", "Primary contact: e-mail", ("primaryContact", "email"), {"type": "string", "format": "email"},
          "YYYN", _dora("primary_contact.email")),
    Field("1.9", "Primary contact: telephone", ("primaryContact", "phone"), {"type": "string", "pattern": r"^\+"},
          "YYYN", _dora("primary_contact.phone")),
    Field("1.10", "Second contact: name", ("secondaryContact", "name"), _text(), "YYYN",
          _dora("secondary_contact.name")),
    Field("1.11", "Second contact: e-mail", ("secondaryContact", "email"), {"type": "string", "format": "email"},
          "YYYN", _dora("secondary_contact.email")),
    Field("1.12", "Second contact: telephone", ("secondaryContact", "phone"), {"type": "string", "pattern": r"^\+"},
          "YYYN", _dora("secondary_contact.phone")),
    Field("1.13", "Name of the ultimate parent undertaking", ("ultimateParentUndertaking", "name"), _text(), "CCCN",
          _dora("parent_undertaking.name"), lambda s: bool(s.profile.dora and s.profile.dora.parent_undertaking)),
    Field("1.14", "LEI of the ultimate parent undertaking", ("ultimateParentUndertaking", "LEI"), LEI, "CCCN",
          _dora("parent_undertaking.lei"), lambda s: bool(s.profile.dora and s.profile.dora.parent_undertaking)),
    Field("1.15", "Reporting currency", ("reportCurrency",), _enum(its.REPORT_CURRENCIES), "YYYN",
          _fact("report_currency")),
    Field("2.1", "Incident reference code of the entity", ("incident", "financialEntityCode"), _text(), GENERAL,
          _fact("incident_id")),
    Field("2.2", "Date and time of detection", ("incident", "detectionDateTime"), DATETIME, INITIAL,
          _time("detected_at")),
    Field("2.3", "Date and time of classification as major", ("incident", "classificationDateTime"), DATETIME,
          INITIAL, _time("classified_at")),
    Field("2.4", "Description of the incident", ("incident", "incidentDescription"), _text(), INITIAL,
          lambda s: f"{s.facts['title']}. {s.facts['public_summary']}" if s.facts.get("title") else None),
    Field("2.5", "Classification criteria that triggered the report", ("incident", "classificationCriterion"),
          _enums(its.CLASSIFICATION_CRITERIA), INITIAL, _ordered("criteria", its.CLASSIFICATION_CRITERIA)),
    Field("2.6", "Member States affected", ("incident", "countryCodeMaterialityThresholds"),
          {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2}$"}, "minItems": 1}, "CCCN",
          _fact("member_states"), _criterion("geographical_spread")),
    Field("2.7", "How the incident was discovered", ("incident", "incidentDiscovery"), _enum(its.DISCOVERY),
          INITIAL, _fact("discovery")),
    Field("2.8", "Originates from a third-party provider or another entity",
          ("incident", "originatesFromThirdPartyProvider"), _text(), "CCCN", _fact("third_party_origin"),
          _has("root_cause_details", "third_party_failures")),
    Field("2.9", "Business continuity plan activated", ("incident", "isBusinessContinuityActivated"), BOOLEAN,
          INITIAL, _fact("bcp_activated")),
    Field("2.10", "Other information", ("incident", "otherInformation"), _text(), "CCCY",
          _fact("other_information")),
    Field("3.1", "Reference code given by the competent authority", ("incident", "competentAuthorityCode"), _text(),
          "NCCN", lambda s: s.reference, lambda s: s.reference is not None),
    Field("3.2", "Date and time of occurrence", ("incident", "occurrenceDateTime"), DATETIME, INTERMEDIATE,
          _time("started_at")),
    Field("3.3", "Date and time of recovery of regular activities", ("incident", "recoveryDateTime"), DATETIME,
          "NCCN", _time("resolved_at"), lambda s: s.facts.get("resolved_at") is not None),
    Field("3.4", "Number of clients affected", ("impactAssessment", "affectedClients", "number"), COUNT,
          INTERMEDIATE, _fact("clients_affected")),
    Field("3.5", "Percentage of clients affected", ("impactAssessment", "affectedClients", "percentage"), PERCENT,
          INTERMEDIATE, _percent("clients_percent")),
    Field("3.6", "Number of financial counterparts affected",
          ("impactAssessment", "affectedFinancialCounterparts", "number"), COUNT, INTERMEDIATE,
          _fact("counterparts_affected")),
    Field("3.7", "Percentage of financial counterparts affected",
          ("impactAssessment", "affectedFinancialCounterparts", "percentage"), PERCENT, INTERMEDIATE,
          _percent("counterparts_percent")),
    Field("3.8", "Impact on relevant clients or financial counterparts",
          ("impactAssessment", "hasImpactOnRelevantClients"), BOOLEAN, "NCCN", _fact("relevant_clients_impact")),
    Field("3.9", "Number of transactions affected", ("impactAssessment", "affectedTransactions", "number"), COUNT,
          "NCCN", _fact("transactions_affected"),
          _criterion("clients_financial_counterparts_and_transactions_affected")),
    Field("3.10", "Percentage of transactions affected",
          ("impactAssessment", "affectedTransactions", "percentage"), PERCENT, "NCCN",
          _percent("transactions_percent"), _criterion("clients_financial_counterparts_and_transactions_affected")),
    Field("3.11", "Value of the transactions affected (thousands of the reporting currency)",
          ("impactAssessment", "affectedTransactions", "valueThousands"), COUNT, "NCCN",
          _fact("transactions_value_thousands"),
          _criterion("clients_financial_counterparts_and_transactions_affected")),
    Field("3.12", "Clients, counterparts and transactions: actual or estimate",
          ("impactAssessment", "actualOrEstimate"),
          {"type": "object", "additionalProperties": False, "required": ["clients", "financialCounterparts",
                                                                          "transactions"],
           "properties": {k: ACTUAL_OR_ESTIMATE for k in ("clients", "financialCounterparts", "transactions")}},
          INTERMEDIATE, lambda s: {"clients": _estimate("clients")(s),
                                   "financialCounterparts": _estimate("financial_counterparts")(s),
                                   "transactions": _estimate("transactions")(s)}),
    Field("3.13", "Type of reputational impact", ("impactAssessment", "reputationalImpact", "types"),
          _enums(its.REPUTATIONAL_IMPACT), "NCCN", _fact("reputational_impact_types"),
          _criterion("reputational_impact")),
    Field("3.14", "Context of the reputational impact", ("impactAssessment", "reputationalImpact", "description"),
          _text(), "NCCN", _fact("reputational_impact_context"), _criterion("reputational_impact")),
    Field("3.15", "Duration of the incident (DD:HH:MM)", ("impactAssessment", "durationAndServiceDowntime",
                                                           "duration"), DURATION, INTERMEDIATE, _fact("duration")),
    Field("3.16", "Service downtime (DD:HH:MM)", ("impactAssessment", "durationAndServiceDowntime",
                                                  "serviceDowntime"), DURATION, INTERMEDIATE,
          _fact("service_downtime")),
    Field("3.17", "Duration and downtime: actual or estimate",
          ("impactAssessment", "durationAndServiceDowntime", "actualOrEstimate"), ACTUAL_OR_ESTIMATE, "NCCN",
          _estimate("duration"), lambda s: bool(s.facts.get("open_at_period_end"))),
    Field("3.18", "Type of impact in other Member States", ("impactAssessment", "memberStatesImpact", "types"),
          _enums(its.MEMBER_STATE_IMPACT), "NCCN", _fact("member_state_impact_types"),
          _criterion("geographical_spread")),
    Field("3.19", "Impact in other Member States", ("impactAssessment", "memberStatesImpact", "description"),
          _text(), "NCCN", _fact("member_state_impact_description"), _criterion("geographical_spread")),
    Field("3.20", "Type of data losses", ("impactAssessment", "dataLosses", "types"), _enums(its.DATA_LOSSES),
          "NCCN", _fact("data_loss_types"), _criterion("data_losses")),
    Field("3.21", "Data losses", ("impactAssessment", "dataLosses", "description"), _text(), "NCCN",
          _fact("data_loss_description"), _criterion("data_losses")),
    Field("3.22", "Critical services affected", ("impactAssessment", "criticalServicesAffected"), _text(),
          INTERMEDIATE, _fact("critical_services")),
    Field("3.23", "Type of the incident", ("incident", "incidentType"), _enums(its.INCIDENT_TYPES), INTERMEDIATE,
          _ordered("incident_types", its.INCIDENT_TYPES)),
    Field("3.24", "Other type of incident", ("incident", "otherIncidentType"), _text(), "NCCN",
          _fact("incident_type_other"), _has("incident_types", "other")),
    Field("3.25", "Threats and techniques used", ("incident", "threatTechniques"), _enums(its.THREATS), "NCCN",
          _ordered("threats_techniques", its.THREATS), _has("incident_types", "cybersecurity_related")),
    Field("3.26", "Other threats and techniques", ("incident", "otherThreatTechniques"), _text(), "NCCN",
          _fact("threats_techniques_other"), _has("threats_techniques", "other")),
    Field("3.27", "Functional areas and business processes affected", ("incident", "affectedFunctionalAreas"),
          _text(), INTERMEDIATE, _fact("functional_areas")),
    Field("3.28", "Infrastructure components affected", ("incident", "isAffectedInfrastructureComponents"),
          _enum(its.YES_NO_UNKNOWN), INTERMEDIATE, _fact("infrastructure_affected")),
    Field("3.29", "Infrastructure components affected: description",
          ("incident", "affectedInfrastructureComponents"), _text(), "NCCN", _fact("infrastructure_description"),
          lambda s: s.facts.get("infrastructure_affected") == "yes"),
    Field("3.30", "Impact on the financial interests of clients", ("incident", "isImpactOnFinancialInterest"),
          _enum(its.YES_NO_UNKNOWN), INTERMEDIATE, _fact("clients_financial_interests")),
    Field("3.31", "Reporting to other authorities", ("reportingToOtherAuthorities",), _enums(its.OTHER_AUTHORITIES),
          INTERMEDIATE, _ordered("other_authorities", its.OTHER_AUTHORITIES)),
    Field("3.32", "Other authorities informed", ("reportingToOtherAuthoritiesOther",), _text(), "NCCN",
          _fact("other_authorities_other"), _has("other_authorities", "other")),
    Field("3.33", "Temporary actions or measures taken", ("incident", "isTemporaryActionsMeasuresForRecovery"),
          BOOLEAN, INTERMEDIATE, _fact("temporary_actions")),
    Field("3.34", "Temporary actions or measures: description",
          ("incident", "descriptionOfTemporaryActionsMeasuresForRecovery"), _text(), "NCCN",
          _fact("temporary_actions_description"), lambda s: bool(s.facts.get("temporary_actions"))),
    Field("3.35", "Indicators of compromise", ("incident", "indicatorsOfCompromise"), _text(), "NCCN",
          _fact("indicators_of_compromise"), _has("incident_types", "cybersecurity_related")),
    Field("4.1", "Root-cause types: high level", ("incident", "rootCauseHLClassification"),
          _enums(its.ROOT_CAUSE_TYPES), FINAL, _ordered("root_cause_types", its.ROOT_CAUSE_TYPES)),
    Field("4.2", "Root-cause types: detailed", ("incident", "rootCausesDetailedClassification"),
          _enums(its.ROOT_CAUSE_DETAILS), FINAL, _ordered("root_cause_details", its.ROOT_CAUSE_DETAILS)),
    Field("4.3", "Root-cause types: additional", ("incident", "rootCausesAdditionalClassification"),
          _enums(its.ROOT_CAUSE_ADDITIONAL), "NNCN", _ordered("root_cause_additional", its.ROOT_CAUSE_ADDITIONAL),
          _details_need_additional),
    Field("4.4", "Other root-cause types", ("incident", "rootCausesOther"), _text(), "NNCN",
          _fact("root_cause_other"), _details_other),
    Field("4.5", "Root cause: information", ("incident", "rootCausesInformation"), _text(), FINAL,
          _fact("root_cause_detail")),
    Field("4.6", "Resolution actions and lessons learnt", ("incident", "incidentResolutionSummary"), _text(), FINAL,
          _fact("resolution_actions")),
    Field("4.7", "Date and time the root cause was addressed", ("incident", "rootCauseAddressingDateTime"), DATETIME,
          FINAL, _time("root_cause_addressed_at")),
    Field("4.8", "Date and time the incident was resolved", ("incident", "incidentResolutionDateTime"), DATETIME,
          FINAL, _time("resolved_at")),
    Field("4.9", "Why the resolution differs from the plan", ("incident", "incidentResolutionVsPlannedImplementation"),
          _text(), "NNCN", _fact("resolution_deviation")),
    Field("4.13", "Gross direct and indirect costs and losses, including compensation (reporting currency)",
          ("impactAssessment", "economicImpact", "grossCostsAndLosses"), MONEY, FINAL, _money("gross_costs")),
    Field("4.14", "Financial recoveries (reporting currency)",
          ("impactAssessment", "economicImpact", "financialRecoveries"), MONEY, FINAL,
          _money("recoveries")),
    Field("4.15", "Recurring incidents: number of occurrences", ("incident", "recurringIncidents", "occurrences"),
          COUNT, "NNCN", _fact("recurring_occurrences"), lambda s: s.facts.get("recurring_occurrences") is not None),
    Field("4.16", "Recurring incidents: date of the first occurrence",
          ("incident", "recurringIncidents", "firstOccurrenceDate"), DATE, "NNCN",
          lambda s: s.facts["recurring_first_occurrence"].isoformat()
          if isinstance(s.facts.get("recurring_first_occurrence"), date) else None,
          lambda s: s.facts.get("recurring_occurrences") is not None),
)
BY_NUMBER = {f.number: f for f in FIELDS}


def empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}
