"""The insurance funds of the profile: what each holds, which pays compensation in an asset, and the kinds of
movement their ledgers record."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from pipelines.contract import MOVEMENT_KINDS
from pipelines.demo.assets import ASSETS
from pipelines.profile import Profile

# What a fund holds, by its position in the profile: the first fund backs USD-margined perpetuals, the next
# coin-margined ones (and further funds alternate). Amounts are the approximate initial balance, in asset units.
USD_MARGINED_HOLDINGS = (("USDT", 250_000_000), ("USDC", 40_000_000))
COIN_MARGINED_HOLDINGS = (("BTC", 2_500), ("ETH", 30_000), ("SOL", 400_000), ("USDT", 20_000_000))

Holdings = list[tuple[str, tuple[tuple[str, int], ...]]]
"""(fund code, ((asset, approximate initial balance), ...)) for each fund, in profile order."""


class MovementKind(IntEnum):
    """The kinds of fund movement, valued as their position in contract.MOVEMENT_KINDS (how ledgers hold them)."""

    SURPLUS = MOVEMENT_KINDS.index("liquidation_surplus")
    BANKRUPTCY = MOVEMENT_KINDS.index("bankruptcy_cover")
    CONTRIBUTION = MOVEMENT_KINDS.index("platform_contribution")
    COMPENSATION = MOVEMENT_KINDS.index("compensation")
    ADL = MOVEMENT_KINDS.index("adl")
    TRANSFER = MOVEMENT_KINDS.index("transfer")


def fund_holdings(profile: Profile) -> Holdings:
    """(fund code, holdings) for each profile fund: USD-margined first, then coin-margined, alternating."""
    templates = (USD_MARGINED_HOLDINGS, COIN_MARGINED_HOLDINGS)
    return [(code, templates[i % 2]) for i, code in enumerate(profile.fund_codes)]


def compensating_fund(holdings: Holdings, asset: str) -> int | None:
    """Index of the fund that pays compensation in `asset`: the first fund holding it (USDT/USDC → USD-margined,
    coins → coin-margined); None when no fund holds it."""
    for index, (_, held) in enumerate(holdings):
        if asset in (a for a, _ in held):
            return index
    return None


def compensating_funds(holdings: Holdings) -> np.ndarray:
    """`compensating_fund` of every asset, by position in ASSETS; -1 where no fund holds the asset."""
    funds = [compensating_fund(holdings, a) for a in ASSETS]
    return np.array([-1 if fund is None else fund for fund in funds])
