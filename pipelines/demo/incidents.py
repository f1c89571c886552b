"""Incidents drawn from plans: heavy-tailed (lognormal) durations, status-page impact rows, the clients,
transactions and money affected, and the regulator notifications, all as seen at the window's end."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from pipelines.contract import CATEGORIES
from pipelines.demo.assets import money
from pipelines.demo.incident_plans import Impact, Plan, draw_severities, services_for
from pipelines.demo.incident_reporting import Effects, Reach, looks_major, notification_times
from pipelines.demo.incident_text import describe
from pipelines.demo.sampling import pick
from pipelines.demo.window import DAY, HOUR, MINUTE, Window
from pipelines.profile import Profile, Service

CATEGORY_WEIGHTS = {
    "outage": 0.14,
    "degradation": 0.26,
    "trading_halt": 0.06,
    "erroneous_liquidation": 0.05,
    "withdrawal_delay": 0.16,
    "deposit_delay": 0.14,
    "security": 0.03,
    "data_error": 0.06,
    "other": 0.10,
}
# Duration: lognormal around a 40-minute median, longer for severe incidents; sigma 1.4 makes day-long tails.
DURATION_MEDIAN_MINUTES = {"minor": 40, "major": 80, "critical": 140}
DURATION_SIGMA = 1.4
# Share of a service's clients affected: lognormal median by severity, so that critical incidents often and
# major ones rarely cross the DORA 10 % threshold, and minor ones never.
CLIENT_SHARE_MEDIAN = {"minor": 0.003, "major": 0.02, "critical": 0.08}
IMPACT_WEIGHTS = {  # (major_outage, partial_outage, degraded_performance)
    "critical": (0.7, 0.3, 0.0),
    "major": (0.2, 0.6, 0.2),
    "minor": (0.0, 0.3, 0.7),
}
# Share of a service's transactions affected while an impact lasts, by impact level.
IMPACT_INTENSITY = {"major_outage": 1.0, "partial_outage": 0.4, "degraded_performance": 0.1}
ECONOMIC_COST_MEDIAN_EUR = {"minor": 1_500, "major": 20_000, "critical": 90_000}
# Wrong liquidations and halts are expensive: the platform makes good the losses it caused.
ECONOMIC_COST_FACTOR = {"erroneous_liquidation": 4.0, "trading_halt": 2.0, "security": 2.0}
EU_STATES = ("DE", "FR", "NL", "LU", "IT", "ES", "AT", "IE", "PT", "BE")
EU_STATE_WEIGHTS = (0.22, 0.16, 0.11, 0.07, 0.1, 0.11, 0.06, 0.06, 0.05, 0.06)


class IncidentFacts(NamedTuple):
    """What claims and payouts need to know about an incident."""

    incident_id: str
    category: str
    started: int
    detected: int
    resolved: int | None
    clients_affected: int
    derivatives: bool  # whether it hit the derivatives service


def draw_incidents(rng: np.random.Generator, plans: list[Plan], incident_ids: list[str], window: Window,
                   profile: Profile) -> tuple[list[dict], list[dict], list[IncidentFacts]]:
    """Incident and impact rows for `plans` (in time order, along which severities cluster), plus the facts that
    claims are drawn from."""
    draw_severities(rng, plans)
    incidents: list[dict] = []
    impacts: list[dict] = []
    facts: list[IncidentFacts] = []
    for incident_id, plan in zip(incident_ids, plans, strict=True):
        incident, rows, fact = _incident(rng, incident_id, plan, window, profile)
        incidents.append(incident)
        impacts.extend(rows)
        facts.append(fact)
    return incidents, impacts, facts


def _incident(rng: np.random.Generator, incident_id: str, plan: Plan, window: Window, profile: Profile
              ) -> tuple[dict, list[dict], IncidentFacts]:
    """One incident's row, its impact rows and its facts."""
    _complete(rng, plan, profile)
    category, severity, started, duration = plan.category, plan.severity, plan.started, plan.duration
    assert category is not None and severity is not None and duration is not None and plan.impacts
    resolved = started + duration if started + duration < window.end else None  # not yet known at the end
    services = {s.code: s for s in profile.services}
    impact_rows, reach = _impacts_seen(rng, incident_id, plan, resolved, window, services)
    effects = _effects(rng, category, severity, reach, services)
    if plan.malicious is not None:
        effects = effects._replace(malicious=plan.malicious)
    detected, classified = _detection(rng, severity, started, duration, window)
    if plan.classified_after is not None:
        classified = min(detected + plan.classified_after, window.end - 1)
    rules = profile.classification
    notified = severity == "critical" or looks_major(rules, services, reach, effects)
    initial, intermediate, final = (notification_times(rng, classified, resolved, window, rules) if notified
                                    else (None, None, None))
    description = describe(rng, category, severity, services[plan.impacts[0][0]].name, started, resolved, window,
                           plan.malicious)
    incident = {
        "incident_id": incident_id,
        **description,
        "category": category,
        "severity": severity,
        "started_at": started,
        "detected_at": detected,
        "classified_at": classified,
        "resolved_at": resolved,
        "clients_affected": effects.clients,
        "transactions_affected": effects.transactions,
        "value_affected": money(effects.value_cents, "USD"),
        "value_affected_currency": "USD",
        "member_states": effects.member_states,
        "data_loss": effects.data_loss,
        "malicious_access": effects.malicious,
        "reputational_impact": effects.reputational,
        "economic_cost": money(effects.cost_cents, "EUR"),
        "economic_cost_currency": "EUR",
        "initial_notified_at": initial,
        "intermediate_reported_at": intermediate,
        "final_reported_at": final,
    }
    fact = IncidentFacts(incident_id, category, started, detected, resolved, effects.clients,
                         "derivatives" in reach.clients)
    return incident, impact_rows, fact


def _complete(rng: np.random.Generator, plan: Plan, profile: Profile) -> None:
    """Draw what the plan leaves open: category, duration and impacts (severities are drawn beforehand)."""
    if plan.category is None:
        plan.category = pick(rng, CATEGORIES, [CATEGORY_WEIGHTS[c] for c in CATEGORIES])
    assert plan.severity is not None
    if plan.duration is None:
        median = DURATION_MEDIAN_MINUTES[plan.severity] * MINUTE
        plan.duration = int(np.clip(rng.lognormal(np.log(median), DURATION_SIGMA), 3 * MINUTE, 5 * DAY))
    if plan.impacts is None:
        plan.impacts = _draw_impacts(rng, plan.category, plan.severity, plan.duration, profile)


def _draw_impacts(rng: np.random.Generator, category: str, severity: str, duration: int, profile: Profile
                  ) -> list[Impact]:
    """1-3 status-page rows: the main service hit, maybe a recovery phase, maybe a second service."""
    primary = pick(rng, services_for(category, profile))
    weights = IMPACT_WEIGHTS[severity]
    if category == "degradation":
        weights = (0.0, weights[0] + weights[1] * 0.5, weights[1] * 0.5 + weights[2])
    impact = pick(rng, ("major_outage", "partial_outage", "degraded_performance"), weights)
    rows: list[Impact] = []
    if impact != "degraded_performance" and rng.random() < 0.35:
        # Recovery phase: service comes back degraded before it is fully restored.
        switch = int(duration * rng.uniform(0.4, 0.8))
        rows += [(primary, impact, 0, switch), (primary, "degraded_performance", switch, None)]
    else:
        rows.append((primary, impact, 0, None))
    others = [s for s in profile.service_codes if s != primary]
    if others and rng.random() < {"minor": 0.15, "major": 0.4, "critical": 0.6}[severity]:
        start = int(duration * rng.uniform(0.0, 0.5))
        end = None if rng.random() < 0.4 else int(start + (duration - start) * rng.uniform(0.3, 1.0))
        second = pick(rng, ("partial_outage", "degraded_performance"), (0.4, 0.6))
        rows.append((pick(rng, others), second, start, end))
    return rows


def _impacts_seen(rng: np.random.Generator, incident_id: str, plan: Plan, resolved: int | None, window: Window,
                  services: dict[str, Service]) -> tuple[list[dict], Reach]:
    """The impact rows as the status page shows them at the window's end, and how far they reached."""
    assert plan.severity is not None and plan.duration is not None and plan.impacts is not None
    started, duration = plan.started, plan.duration
    # Where an impact row is still running at the window's end (or at resolution), its end is left empty.
    horizon = (resolved if resolved is not None else window.end) - started
    share = min(0.6, rng.lognormal(np.log(CLIENT_SHARE_MEDIAN[plan.severity]), 0.9))
    rows: list[dict] = []
    reach = Reach()
    for position, (code, impact, start, end) in enumerate(plan.impacts):
        if start >= horizon:
            continue
        if end is not None and resolved is None and end >= horizon:
            end = None  # still running when the window closes
        elif end is None and resolved is not None and rng.random() < 0.5:
            end = duration  # some status pages close every component explicitly at resolution
        rows.append({"incident_id": incident_id, "service": code, "impact": impact, "started_at": started + start,
                     "ended_at": None if end is None else started + end})
        service = services[code]
        hours = ((end if end is not None else horizon) - start) / HOUR
        weight = 1.0 if position == 0 else 0.3  # the first row is the main service hit
        reach.clients[code] = max(reach.clients.get(code, 0), share * weight * service.active_clients)
        reach.transactions[code] = reach.transactions.get(code, 0) + (
            service.daily_transactions * min(hours / 24, 1) * IMPACT_INTENSITY[impact] * rng.lognormal(0, 0.5))
        if impact != "degraded_performance":
            reach.downtime[code] = reach.downtime.get(code, 0) + int(hours * HOUR)
    return rows, reach


def _effects(rng: np.random.Generator, category: str, severity: str, reach: Reach, services: dict[str, Service]
             ) -> Effects:
    """Totals of the reach, the value affected, and the further classification criteria."""
    value_cents = sum(int(reach.transactions[c] * float(services[c].daily_value_usd)
                          / services[c].daily_transactions * rng.lognormal(0, 0.3) * 100)
                      for c in reach.transactions)
    member_states = _member_states(rng, severity)
    data_loss = bool(rng.random() < (0.25 if category == "data_error" else 0.02))
    malicious = bool(category == "security" and rng.random() < 0.6)
    reputational = bool(rng.random() < {"critical": 0.7, "major": 0.15, "minor": 0.01}[severity])
    cost_median = ECONOMIC_COST_MEDIAN_EUR[severity] * ECONOMIC_COST_FACTOR.get(category, 1.0)
    cost_cents = int(rng.lognormal(np.log(cost_median), 1.2) * 100)
    return Effects(clients=int(sum(reach.clients.values())), transactions=int(sum(reach.transactions.values())),
                   value_cents=value_cents, member_states=member_states, data_loss=data_loss, malicious=malicious,
                   reputational=reputational, cost_cents=cost_cents)


def _detection(rng: np.random.Generator, severity: str, started: int, duration: int, window: Window
               ) -> tuple[int, int]:
    """When the incident was detected and then classified: minutes after it started, faster when severe."""
    detected = started + int(30 + rng.exponential({"minor": 6, "major": 4, "critical": 2}[severity] * MINUTE))
    detected = min(detected, started + max(duration // 2, 30), window.end - 2)
    classified = min(detected + 10 * MINUTE + int(rng.exponential(40 * MINUTE)), window.end - 1)
    return detected, classified


def _member_states(rng: np.random.Generator, severity: str) -> list[str] | None:
    """Null (unknown) or 1-4 EU member states, in a fixed order; severe incidents reach more countries."""
    if rng.random() < {"minor": 0.5, "major": 0.3, "critical": 0.1}[severity]:
        return None
    count = int(rng.choice([1, 2, 3, 4], p={"minor": (0.75, 0.2, 0.05, 0.0), "major": (0.45, 0.3, 0.15, 0.1),
                                             "critical": (0.2, 0.3, 0.25, 0.25)}[severity]))
    chosen = rng.choice(len(EU_STATES), size=count, replace=False,
                        p=np.array(EU_STATE_WEIGHTS) / sum(EU_STATE_WEIGHTS))
    return [EU_STATES[i] for i in sorted(chosen)]
