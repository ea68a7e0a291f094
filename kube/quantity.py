"""Kubernetes resource quantities (``500m``, ``2Gi``, ``1e3``) as Decimals."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SUFFIXES = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
_PATTERN = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")


def parse_quantity(text: str | int | float) -> Decimal:
    """Parse a quantity; ValueError with a readable message when it is not one."""
    match = _PATTERN.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes quantity (examples: 500m, 2, 1Gi, 10G)")
    number, suffix = match.groups()
    try:
        return Decimal(number) * _SUFFIXES[suffix or ""]
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a Kubernetes quantity (examples: 500m, 2, 1Gi, 10G)") from None
