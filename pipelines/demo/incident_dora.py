"""The regulatory back office's DORA record of each demo incident (`incident_dora_details`): how it was discovered,
what kind of incident it was, who else was told, the root cause in the ITS taxonomy, what was done. Drawn from the
incident's own row, so that the record agrees with it."""

from __future__ import annotations

import numpy as np

from pipelines.demo.sampling import pick
from pipelines.demo.window import HOUR, Window

INCIDENT_TYPES = {"security": ["cybersecurity_related"], "withdrawal_delay": ["process_failure"],
                  "deposit_delay": ["process_failure"], "other": ["process_failure"]}
FUNCTIONAL_AREAS = {
    "outage": "Order entry and market data for retail and API clients.",
    "degradation": "Order entry and account services.",
    "trading_halt": "Matching engine and order management; margin and settlement of open positions.",
    "erroneous_liquidation": "Risk management: mark-price computation and liquidation of derivatives positions.",
    "withdrawal_delay": "Custody: processing of outgoing crypto-asset transfers.",
    "deposit_delay": "Custody: crediting of incoming crypto-asset transfers.",
    "security": "Client authentication, API access management and custody (outgoing transfers).",
    "data_error": "Client reporting: account history and fee statements.",
    "other": "Client communication: notifications and account statements.",
}
# the entity's root-cause categories in the ITS taxonomy: (4.1, 4.2, 4.3)
ROOT_CAUSES = {
    "software_defect": ("process_failure",
                        "insufficient_or_failed_ict_systems_acquisition_development_and_maintenance", "testing"),
    "infrastructure_failure": ("system_failure_malfunction", "hardware_capacity_and_performance", None),
    "third_party_failure": ("external_event", "third_party_failures", None),
    "configuration_change": ("process_failure", "insufficient_or_failed_ict_operations_and_ict_security_operations",
                             "change_management"),
    "capacity": ("system_failure_malfunction", "hardware_capacity_and_performance", None),
    "human_error": ("human_error", "mistake", None),
    "cyber_attack": ("malicious_actions", "fraudulent_actions", None),
}
THIRD_PARTIES = ("Upstream blockchain node provider", "SEPA banking partner", "Cloud hosting provider")


def dora_details(rng: np.random.Generator, incidents: list[dict], window: Window) -> list[dict]:
    return [_details(rng, incident, window) for incident in incidents]


def _details(rng: np.random.Generator, incident: dict, window: Window) -> dict:
    category, severity, cause = incident["category"], incident["severity"], incident["root_cause_category"]
    resolved, open_ = incident["resolved_at"], incident["resolved_at"] is None
    malicious, severe = incident["malicious_access"], severity != "minor"
    high, detail, additional = ROOT_CAUSES.get(cause, (None, None, None))
    counterparts = int(rng.integers(3, 40)) if severe else int(rng.integers(0, 4))
    addressed = None if open_ or high is None else resolved + int(rng.integers(2 * HOUR, 72 * HOUR))
    states = incident["member_states"] or []
    return {
        "incident_id": incident["incident_id"],
        "discovery": "it_security" if category == "security" else pick(rng, ("monitoring_systems", "clients",
                                                                              "staff"), (0.8, 0.15, 0.05)),
        "third_party_origin": pick(rng, THIRD_PARTIES) if cause == "third_party_failure" else None,
        "bcp_activated": bool(severity == "critical" or malicious),
        "other_information": None,
        "counterparts_affected": counterparts,
        "relevant_clients_impact": severity == "critical",
        "estimated_figures": ["clients", "transactions", "duration", "service_downtime"] if open_ else None,
        "reputational_impact_types": ["media_coverage", "repeated_complaints"] if incident["reputational_impact"]
        else None,
        "reputational_impact_context": "Reported by crypto trade media; complaints through the support channels."
        if incident["reputational_impact"] else None,
        "member_state_impact_types": ["clients"] if len(states) >= 2 else None,
        "member_state_impact_description": f"Clients resident in {', '.join(states)} were affected."
        if len(states) >= 2 else None,
        "data_loss_types": ["confidentiality"] if malicious else (["integrity"] if incident["data_loss"] else None),
        "data_loss_description": "API keys of client accounts were used by an attacker; account data and balances "
        "were exposed to them." if malicious else ("Account history records were written with wrong values and "
                                                   "later corrected." if incident["data_loss"] else None),
        "incident_types": INCIDENT_TYPES.get(category, ["system_failure"]),
        "incident_type_other": None,
        "threats_techniques": ["identity_theft", "social_engineering_including_phishing"] if malicious else None,
        "threats_techniques_other": None,
        "functional_areas": FUNCTIONAL_AREAS[category],
        "infrastructure_affected": "yes" if category in ("outage", "trading_halt", "security") or severe else "no",
        "infrastructure_description": "Production services of the affected platform components." if (
            category in ("outage", "trading_halt", "security") or severe) else None,
        "clients_financial_interests": "yes" if category in ("erroneous_liquidation", "security") else "no",
        "other_authorities": ["police_law_enforcement", "csirt", "data_protection_authority"] if malicious
        else ["none"],
        "other_authorities_other": None,
        "temporary_actions": severe,
        "temporary_actions_description": "Withdrawals frozen for the affected accounts; API keys revoked and "
        "rotated." if malicious else ("Traffic failed over to the standby site; affected operations queued "
                                      "and replayed." if severe else None),
        "indicators_of_compromise": "API requests signed with 214 leaked keys from 37 IP addresses in two hosting "
        "ranges; withdrawal addresses shared with the police and the CSIRT." if malicious else None,
        "root_cause_types": [high] if high else None,
        "root_cause_details": [detail] if detail else None,
        "root_cause_additional": [additional] if additional else None,
        "root_cause_other": None,
        "resolution_actions": None if open_ else "Fix deployed and verified; monitoring and runbooks extended; "
        "post-incident review held with the teams involved.",
        "root_cause_addressed_at": addressed if addressed is not None and addressed < window.end else None,
        "resolution_deviation": None,
    }
