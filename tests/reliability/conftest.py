"""`make reliability`: what must hold when things go wrong, measured (docs/reliability.md).

Outside `make test` (tests/conftest.py leaves this folder out unless BERTH_RELIABILITY is
set): these runs take minutes and report figures rather than one behaviour each. Every
test still asserts what it measures, and adds its figures to
test-artifacts/reliability.json.
"""

from __future__ import annotations

import json

from tests.helpers import ARTIFACTS

FIGURES = ARTIFACTS / "reliability.json"


def record(name: str, figures: dict) -> None:
    """Keep ``figures`` under ``name`` for the report (the newest run of each)."""
    ARTIFACTS.mkdir(exist_ok=True)
    kept = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    kept[name] = figures
    FIGURES.write_text(json.dumps(kept, indent=2) + "\n")
    print(f"\n[reliability] {name}: {json.dumps(figures)}")
