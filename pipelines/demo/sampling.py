"""Random choices the numpy generator does not offer directly."""

from __future__ import annotations

from typing import Any

import numpy as np


def pick(rng: np.random.Generator, options: tuple | list, weights: tuple | list | None = None) -> Any:
    """One element of `options` (weights need not sum to 1)."""
    if weights is None:
        return options[int(rng.integers(len(options)))]
    p = np.asarray(weights, dtype=float)
    return options[int(rng.choice(len(options), p=p / p.sum()))]


def choice_rows(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One index per row of the probability matrix `p` (inverse CDF, vectorised)."""
    cdf = np.cumsum(p, axis=1)
    u = rng.random(p.shape[0])[:, None]
    return np.minimum((u > cdf).sum(axis=1), p.shape[1] - 1)
