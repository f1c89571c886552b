"""The code lists of the DORA incident-report template (Commission Implementing Regulation (EU) 2025/302, Annex II),
written snake_case as the authorities' "IR" JSON takes them. The data contract's `incident_dora_details` and the
JSON Schema (schemas/dora/) both take their enumerations from here."""

from __future__ import annotations

SUBMISSION_TYPES = {  # field 1.1, by the pipeline's stage name
    "initial": "initial_notification",
    "intermediate": "intermediate_report",
    "updated_intermediate": "intermediate_report",
    "final": "final_report",
    "reclassified": "major_incident_reclassified_as_non-major",
}
ENTITY_TYPES = (  # field 1.4
    "credit_institution", "payment_institution", "exempted_payment_institution",
    "account_information_service_provider", "electronic_money_institution",
    "exempted_electronic_money_institution", "investment_firm", "crypto-asset_service_provider",
    "issuer_of_asset-referenced_tokens", "central_securities_depository", "central_counterparty", "trading_venue",
    "trade_repository", "manager_of_alternative_investment_fund", "management_company",
    "data_reporting_service_provider", "insurance_and_reinsurance_undertaking",
    "insurance_intermediary_reinsurance_intermediary_and_ancillary_insurance_intermediary",
    "institution_for_occupational_retirement_provision", "credit_rating_agency",
    "administrator_of_critical_benchmarks", "crowdfunding_service_provider", "securitisation_repository",
)
# field 1.15: the currencies of the Member States and EEA countries
REPORT_CURRENCIES = ("EUR", "BGN", "CZK", "DKK", "HUF", "PLN", "RON", "ISK", "CHF", "NOK", "SEK")
CLASSIFICATION_CRITERIA = (  # field 2.5, by the criterion of marts.incident_classification
    "clients_financial_counterparts_and_transactions_affected", "reputational_impact",
    "duration_and_service_downtime", "geographical_spread", "data_losses", "critical_services_affected",
    "economic_impact",
)
DISCOVERY = (  # field 2.7
    "it_security", "staff", "internal_audit", "external_audit", "clients", "financial_counterparts",
    "third_party_provider", "attacker", "monitoring_systems", "authority_agency_law_enforcement_body", "other",
)
ESTIMATED = ("clients", "financial_counterparts", "transactions", "duration", "service_downtime")  # 3.12, 3.17
REPUTATIONAL_IMPACT = ("media_coverage", "repeated_complaints", "regulatory_breach", "loss_of_clients")  # 3.13
MEMBER_STATE_IMPACT = (  # field 3.18
    "clients", "financial_counterparts", "branch_of_the_financial_entity", "financial_entities_within_the_group",
    "financial_market_infrastructure", "third_party_providers",
)
DATA_LOSSES = ("availability", "authenticity", "integrity", "confidentiality")  # field 3.20
INCIDENT_TYPES = (  # field 3.23
    "cybersecurity_related", "process_failure", "system_failure", "external_event", "payment_related", "other",
)
THREATS = (  # field 3.25
    "social_engineering_including_phishing", "ddos", "identity_theft",
    "data_encryption_for_impact_including_ransomware", "resource_hijacking",
    "data_exfiltration_and_manipulation_including_identity_theft", "data_destruction", "defacement",
    "supply_chain_attack", "other",
)
YES_NO_UNKNOWN = ("yes", "no", "information_not_available")  # fields 3.28, 3.30
OTHER_AUTHORITIES = (  # field 3.31
    "police_law_enforcement", "csirt", "data_protection_authority", "national_cybersecurity_agency", "none", "other",
)
# fields 4.1 and 4.2: each detailed root cause under its high-level category
ROOT_CAUSES = {
    "malicious_actions": (
        "deliberate_internal_actions", "deliberate_physical_damage_manipulation_theft", "fraudulent_actions",
    ),
    "process_failure": (
        "insufficient_and_or_failed_monitoring_and_control", "insufficient_unclear_roles_and_responsibilities",
        "ict_risk_management_process_failure", "insufficient_or_failed_ict_operations_and_ict_security_operations",
        "insufficient_or_failed_ict_project_management",
        "inadequacy_of_internal_policies_procedures_and_documentation",
        "insufficient_or_failed_ict_systems_acquisition_development_and_maintenance", "other_process_failure",
    ),
    "system_failure_malfunction": (
        "hardware_capacity_and_performance", "hardware_maintenance", "hardware_obsolescence_ageing",
        "software_compatibility_configuration", "software_performance", "network_configuration", "physical_damage",
        "other_system_failure",
    ),
    "human_error": (
        "omission", "mistake", "skills_knowledge", "inadequate_human_resources", "miscommunication",
        "other_human_error",
    ),
    "external_event": ("natural_disasters_force_majeure", "third_party_failures", "other_external_event"),
}
# field 4.3: the additional classification some detailed root causes require, by that cause
ADDITIONAL_ROOT_CAUSES = {
    "insufficient_or_failed_ict_operations_and_ict_security_operations": (
        "vulnerability_and_patch_management", "change_management", "capacity_and_performance_management",
        "ict_asset_management_and_information_classification", "backup_and_restore", "error_handling",
        "identity_and_access_management", "encryption_and_cryptography", "logging",
    ),
    "insufficient_or_failed_ict_systems_acquisition_development_and_maintenance": (
        "ict_systems_acquisition", "ict_systems_development", "ict_systems_maintenance", "testing",
        "secure_coding", "release_management", "third_party_software", "requirements_definition",
        "other_acquisition_development_and_maintenance",
    ),
}
ROOT_CAUSE_TYPES = tuple(ROOT_CAUSES)
ROOT_CAUSE_DETAILS = tuple(detail for details in ROOT_CAUSES.values() for detail in details)
ROOT_CAUSE_ADDITIONAL = tuple(extra for extras in ADDITIONAL_ROOT_CAUSES.values() for extra in extras)
