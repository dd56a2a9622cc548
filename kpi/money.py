"""Money summed exactly: the mirror keeps every amount as INTEGER micros (a millionth of the currency unit) beside
its REAL, so SQL sums the integers and the total becomes a Decimal once, here.

SQL's SUM over the REAL column would be a float (0.1 + 0.2 = 0.30000000000000004); over the micros it is exact.
"""

from __future__ import annotations

from decimal import Decimal

MICROS = 1_000_000  # the mirror schema's unit for ``<amount>_micros`` columns


def from_micros(micros: int | None) -> Decimal:
    """A sum of micros (None: nothing summed) as the exact Decimal amount."""
    return Decimal(micros) / MICROS if micros else Decimal(0)
