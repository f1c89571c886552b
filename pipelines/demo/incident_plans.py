"""Incident plans: when incidents start, and the scripted ones every demo shows (a trading halt and a wave of
erroneous liquidations on each crash day, overlapping on derivatives; one still open when the window closes).
A plan leaves the details to `incidents.draw_incidents`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.sampling import pick
from pipelines.demo.window import DAY, HOUR, MINUTE
from pipelines.profile import Profile

# Which service a category usually hits first (filtered by the services the profile declares).
CATEGORY_SERVICES = {
    "outage": ("spot", "derivatives", "api", "fiat"),
    "degradation": ("spot", "derivatives", "api", "deposits", "withdrawals", "fiat"),
    "trading_halt": ("spot", "derivatives"),
    "erroneous_liquidation": ("derivatives",),
    "withdrawal_delay": ("withdrawals", "fiat"),
    "deposit_delay": ("deposits", "fiat"),
    "security": ("withdrawals", "api", "spot"),
    "data_error": ("spot", "derivatives", "api"),
    "other": ("api", "spot", "deposits"),
}
# Two-state severity chain: probability that an incident is severe (critical or major), given the previous one.
P_SEVERE_AFTER_SEVERE = 0.45
P_SEVERE_AFTER_MINOR = 0.12
P_CRITICAL_IF_SEVERE = 0.35

Impact = tuple[str, str, int, int | None]
"""(service, impact, start offset, end offset or None = until resolved), offsets in seconds from the start."""


@dataclass
class Plan:
    """An incident before its details are drawn. Fields left None are drawn; scripted incidents fix them."""

    started: int
    category: str | None = None
    severity: str | None = None
    duration: int | None = None  # seconds until resolution; the incident is open if that falls after the window
    impacts: list[Impact] | None = None
    malicious: bool | None = None  # whether there was malicious unauthorised access (drawn when None)
    classified_after: int | None = None  # seconds from detection to classification (drawn when None)


def services_for(category: str, profile: Profile) -> list[str]:
    preferred = [s for s in CATEGORY_SERVICES[category] if s in profile.service_codes]
    return preferred or profile.service_codes  # a profile without the usual services: any service will do


def crash_plans(rng: np.random.Generator, crash: int, profile: Profile) -> list[Plan]:
    """The matching engine halts derivatives trading; minutes later the mark-price feed misfires and liquidates
    positions wrongly while the halt is still on, so the two incidents overlap on `derivatives`."""
    codes = profile.service_codes
    derivatives = "derivatives" if "derivatives" in codes else codes[0]
    api = "api" if "api" in codes else codes[-1]
    halt = int(rng.integers(50 * MINUTE, 110 * MINUTE))
    second = [(api, "partial_outage", 2 * MINUTE, int(halt * 0.8))] if api != derivatives else []
    halted = Plan(started=crash, category="trading_halt", severity="critical", duration=halt,
                  impacts=[(derivatives, "major_outage", 0, None)] + second)
    offset = int(rng.integers(8 * MINUTE, 25 * MINUTE))
    duration = int(rng.integers(3 * HOUR, 8 * HOUR))
    liquidations = Plan(started=crash + offset, category="erroneous_liquidation", severity="critical",
                        duration=duration, impacts=[(derivatives, "partial_outage", 0, 40 * MINUTE),
                                                    (derivatives, "degraded_performance", 40 * MINUTE, None)])
    return [halted, liquidations]


def still_open_plan(rng: np.random.Generator, end: int, profile: Profile) -> Plan:
    """Started a few hours before the window closes at `end`, resolved (if ever) after it."""
    started = end - int(rng.integers(3 * HOUR, 20 * HOUR))
    category = pick(rng, ("deposit_delay", "degradation"))
    return Plan(started=started, category=category, duration=end - started + int(rng.integers(1 * HOUR, 48 * HOUR)),
                impacts=[(pick(rng, services_for(category, profile)), "partial_outage", 0, None)])


def account_takeover_plan(rng: np.random.Generator, end: int, profile: Profile) -> Plan:
    """A cyber attack on the last days before the window closes at `end`, still open then, its initial notification
    not yet sent: leaked API keys used to
    withdraw from client accounts. Withdrawals are frozen for a day and more, and the incident is classified major
    only once forensics confirm the unauthorised access, more than 24 hours after it was detected (the DORA
    late-classification case)."""
    service = "withdrawals" if "withdrawals" in profile.service_codes else pick(rng, services_for("security", profile))
    started = end - 29 * HOUR - int(rng.integers(0, HOUR))  # classified a few hours before the window closes
    return Plan(started=started, category="security", severity="major", duration=4 * DAY,
                impacts=[(service, "partial_outage", 0, 30 * HOUR), (service, "degraded_performance", 30 * HOUR, None)],
                malicious=True, classified_after=27 * HOUR)


def draw_severities(rng: np.random.Generator, plans: list[Plan]) -> None:
    """Fill missing severities with a two-state Markov chain in time order: severity clusters."""
    previous_severe = False
    for plan in plans:
        if plan.severity is None:
            severe = rng.random() < (P_SEVERE_AFTER_SEVERE if previous_severe else P_SEVERE_AFTER_MINOR)
            if severe:
                plan.severity = "critical" if rng.random() < P_CRITICAL_IF_SEVERE else "major"
            else:
                plan.severity = "minor"
        previous_severe = plan.severity != "minor"
