"""The care-call dialog manager: scenario data, Korean answer understanding, risk flags.

Pure Python (no audio, model, web or database imports); see docs/ARCHITECTURE.md for the contract.
"""

from dialog.flags import Flag
from dialog.labels import Labels
from dialog.scenario import Scenario, ScenarioError, labels_for, load_scenario, parse_scenario
from dialog.session import DialogSession, Reply

__all__ = [
    "DialogSession", "Flag", "Labels", "Reply", "Scenario", "ScenarioError", "labels_for", "load_scenario",
    "parse_scenario",
]  # fmt: skip
