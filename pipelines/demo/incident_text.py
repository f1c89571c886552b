"""What is said about an incident: its status-page title, summary and status, its root cause, and internal notes."""

from __future__ import annotations

import numpy as np

from pipelines.contract import ROOT_CAUSES
from pipelines.demo.sampling import pick
from pipelines.demo.window import DAY, HOUR, Window

ROOT_CAUSE_WEIGHTS = {  # for every category but security (cyber attacks) and still-open incidents
    "software_defect": 0.30,
    "infrastructure_failure": 0.20,
    "third_party_failure": 0.15,
    "configuration_change": 0.15,
    "capacity": 0.12,
    "human_error": 0.08,
}
TITLES = {
    "outage": ("{service} unavailable", "Outage of {service}"),
    "degradation": ("Elevated error rates on {service}", "Degraded performance of {service}"),
    "trading_halt": ("Trading halted on {asset} markets", "Temporary suspension of {service}"),
    "erroneous_liquidation": ("Incorrect liquidations on {asset} perpetuals",
                              "Liquidations triggered by an erroneous mark price"),
    "withdrawal_delay": ("Delayed {asset} withdrawals", "{asset} withdrawals processed late"),
    "deposit_delay": ("Delayed {asset} deposits", "{asset} deposits credited late"),
    "security": ("Suspicious login attempts blocked", "Unauthorised API key usage detected"),
    "data_error": ("Incorrect balances shown in account history", "Wrong fees displayed on {service}"),
    "other": ("Delayed email and push notifications", "Account statements generated late"),
}
SUMMARIES = {
    "outage": "{service} could not be reached by most users.",
    "degradation": "Some requests to {service} failed or were slow.",
    "trading_halt": "Trading on {asset} markets was paused while we checked order-book integrity.",
    "erroneous_liquidation": "Some {asset} positions were liquidated at an incorrect mark price. "
                             "Affected users are being compensated automatically.",
    "withdrawal_delay": "{asset} withdrawals were queued and sent later than usual. No funds were at risk.",
    "deposit_delay": "{asset} deposits were credited to accounts later than usual. No funds were at risk.",
    "security": "We detected and blocked suspicious access attempts. Affected users were asked to reset "
                "their credentials.",
    "data_error": "Some account pages showed incorrect figures. Balances themselves were not affected.",
    "other": "Some notifications and statements were delivered late.",
}
COMPONENTS = ("matching engine", "order gateway", "wallet service", "risk engine", "mark-price service",
              "ledger database", "API gateway", "notification service")
ROOT_CAUSE_DETAILS = {
    "software_defect": ("Regression in the {component} release {version}.",
                        "Race condition in the {component} under peak load."),
    "infrastructure_failure": ("Loss of the availability zone hosting the {component}.",
                               "Disk failure on the primary {component} node."),
    "third_party_failure": ("Upstream node provider stopped serving {asset} blocks.",
                            "Banking partner's SEPA gateway was down."),
    "configuration_change": ("Misconfigured rate limit pushed to the {component}.",
                             "Feature flag enabled for all users instead of 5 %."),
    "capacity": ("Connection pool of the {component} exhausted during a volume spike.",
                 "Queue backlog in the {component} after a traffic surge."),
    "human_error": ("Manual failover executed on the wrong {component} cluster.",
                    "Maintenance script run against production {component}."),
    "cyber_attack": ("Credential-stuffing campaign against the login endpoint.",
                     "Leaked API keys used from unknown IP ranges."),
    "under_investigation": ("Root cause not yet established.",),
}
INTERNAL_NOTES = (
    "Postmortem owner: {team}. Ticket OPS-{ticket}.",
    "Support macro updated; {team} on call. Ticket OPS-{ticket}.",
    "Follow-up: add saturation alerting on the {component}. Ticket OPS-{ticket}.",
    "Customer comms approved by legal. Ticket OPS-{ticket}.",
)
TEAMS = ("platform", "trading-core", "wallets", "payments", "security", "sre")


def describe(rng: np.random.Generator, category: str, severity: str, service_name: str, started: int,
             resolved: int | None, window: Window, malicious: bool | None = None) -> dict:
    """The incident's text columns, status and root cause, as seen at the window's end (a known attack's root
    cause is the attack)."""
    root_cause = _root_cause(rng, category, resolved)
    if malicious:
        root_cause = "cyber_attack"
    asset = pick(rng, ("BTC", "ETH", "SOL", "XRP", "USDT", "USDC"))
    text = {"service": service_name, "asset": asset, "component": pick(rng, COMPONENTS),
            "version": f"{int(rng.integers(3, 9))}.{int(rng.integers(0, 40))}.{int(rng.integers(0, 10))}",
            "team": pick(rng, TEAMS), "ticket": int(rng.integers(1000, 9999))}
    closing = " The issue has been resolved." if resolved is not None else (
        " We are investigating and will post updates.")
    notes = None if rng.random() < 0.3 else pick(rng, INTERNAL_NOTES).format(**text)
    title = pick(rng, TITLES[category]).format(**text)
    status = _status(rng, severity, started, resolved, window)
    return {
        "title": title,
        "public_summary": SUMMARIES[category].format(**text) + closing,
        "status": status,
        "root_cause_category": root_cause,
        "root_cause_detail": pick(rng, ROOT_CAUSE_DETAILS[root_cause]).format(**text),
        "internal_notes": notes,
    }


def _root_cause(rng: np.random.Generator, category: str, resolved: int | None) -> str:
    if category == "security":
        return "cyber_attack" if rng.random() < 0.8 else "human_error"
    if resolved is None and rng.random() < 0.6:
        return "under_investigation"
    causes = [c for c in ROOT_CAUSES if c in ROOT_CAUSE_WEIGHTS]
    return pick(rng, causes, [ROOT_CAUSE_WEIGHTS[c] for c in causes])


def _status(rng: np.random.Generator, severity: str, started: int, resolved: int | None, window: Window) -> str:
    if resolved is None:
        if window.end - started < HOUR:
            return "investigating"
        return pick(rng, ("investigating", "identified", "monitoring"), (0.3, 0.4, 0.3))
    # A postmortem is published a week or so after severe incidents.
    if resolved < window.end - 7 * DAY and rng.random() < {"critical": 0.85, "major": 0.2, "minor": 0.0}[severity]:
        return "postmortem"
    return "resolved"
