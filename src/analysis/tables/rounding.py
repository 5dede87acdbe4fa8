"""Rounding as printed reports round: half away from zero, computed exactly.

Floating point misrounds ties (2.675 -> 2.67 with round()); these functions work on exact integers
or on the shortest decimal representation of a float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def round_half_up(value: float, decimals: int = 1) -> float:
    """Round a number half away from zero, using its shortest decimal repr (2.25 -> 2.3)."""
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def percent_half_up(k: int, n: int, decimals: int = 1) -> float:
    """100*k/n in percent, rounded half up exactly from the integers k and n (n > 0)."""
    if n <= 0:
        raise ValueError("percentage base must be positive")
    scaled = Fraction(100 * int(k), int(n)) * 10**decimals
    rounded = (
        (scaled + Fraction(1, 2)).__floor__()
        if scaled >= 0
        else -((-scaled + Fraction(1, 2)).__floor__())
    )
    return rounded / 10**decimals
