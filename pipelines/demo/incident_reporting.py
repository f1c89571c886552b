"""Whether the regulator hears of an incident (the DORA major-incident criteria of the profile), and when each
report is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from pipelines.demo.window import DAY, HOUR, Window
from pipelines.profile import Classification, Service


@dataclass
class Reach:
    """How far an incident reached, per service code: clients and transactions affected, seconds of downtime."""

    clients: dict[str, float] = field(default_factory=dict)
    transactions: dict[str, float] = field(default_factory=dict)
    downtime: dict[str, int] = field(default_factory=dict)


class Effects(NamedTuple):
    """An incident's impact as its row states it."""

    clients: int
    transactions: int
    value_cents: int  # USD
    member_states: list[str] | None
    data_loss: bool
    malicious: bool
    reputational: bool
    cost_cents: int  # EUR


def looks_major(rules: Classification, services: dict[str, Service], reach: Reach, effects: Effects) -> bool:
    """Whether the regulator would consider the incident major: it hits a critical service, and is malicious or
    meets enough of the criteria."""
    criteria = [
        any(n > float(rules.clients_affected_share) * services[c].active_clients
            for c, n in reach.clients.items()) or effects.clients > rules.clients_affected_count,
        any(n > float(rules.transactions_affected_share) * services[c].daily_transactions
            for c, n in reach.transactions.items()),
        any(services[c].critical and s > float(rules.critical_downtime_hours) * HOUR
            for c, s in reach.downtime.items()),
        effects.cost_cents > int(rules.economic_cost_eur) * 100,
        effects.member_states is not None and len(effects.member_states) >= rules.member_states,
        effects.data_loss,
        effects.reputational,
    ]
    hits_critical = any(services[c].critical for c in reach.clients)
    return hits_critical and (effects.malicious or sum(criteria) >= rules.criteria_needed)


def notification_times(rng: np.random.Generator, classified: int, resolved: int | None, window: Window,
                       rules: Classification) -> tuple[int | None, int | None, int | None]:
    """Initial, intermediate and final report times: mostly within the deadlines, about one in ten late; each
    one only if it was sent before the window's end (and the final one only once resolved)."""
    initial_due = rules.initial_notification_hours_after_classification * HOUR
    if rng.random() < 0.9:
        initial = classified + int(rng.uniform(0.1, 0.9) * initial_due)
    else:
        initial = classified + int(rng.uniform(1.1, 3.0) * initial_due)
    intermediate_due = rules.intermediate_report_hours_after_initial * HOUR
    if rng.random() < 0.9:
        intermediate = initial + int(rng.uniform(0.3, 0.95) * intermediate_due)
    else:
        intermediate = initial + int(rng.uniform(1.05, 1.7) * intermediate_due)
    final_due = rules.final_report_months_after_intermediate * 30 * DAY
    final = intermediate + int((rng.uniform(0.3, 0.9) if rng.random() < 0.92 else rng.uniform(1.1, 1.5)) * final_due)
    if resolved is not None:
        final = max(final, resolved + int(rng.uniform(1, 5) * DAY))
    if initial >= window.end:
        return None, None, None
    if intermediate >= window.end:
        return initial, None, None
    if resolved is None or final >= window.end:
        return initial, intermediate, None
    return initial, intermediate, final
