"""On whose behalf a call is made and in what words it says so: the campaign's, else the line's, else the
server's, else the scenario's own.

A campaign's settings arrive as stream parameters (``agent.campaigns.placers.campaign_parameters``: the
organisation as text, the disclosure lines as a JSON list); an inbound call to a configured line has the
line's. The dialog (``dialog.DialogSession``) falls back to the scenario's ``disclosure`` for what is left
unset here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from loguru import logger

from agent.call.lines import PhoneLine


@dataclass(frozen=True)
class CallDisclosure:
    organization: str | None  # {organization}; None: the scenario's default
    lines: tuple[str, ...]  # the disclosure lines said after the greeting; (): the scenario's


def call_disclosure(params: dict[str, str], line: PhoneLine | None, server_organization: str | None) -> CallDisclosure:
    """The call's disclosure, most specific first (campaign, line, server). A malformed campaign wording is
    logged and skipped: the call still discloses, in the next level's words."""
    organization = (params.get("organization") or "").strip() or (line and line.organization) or server_organization
    lines = _campaign_lines(params.get("disclosure")) or (line.disclosure if line else ())
    return CallDisclosure(organization or None, tuple(lines))


def _campaign_lines(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    try:
        lines = json.loads(raw)
    except ValueError:
        lines = None
    if not isinstance(lines, list) or not all(isinstance(item, str) for item in lines):
        logger.warning(f"the campaign's disclosure parameter is not a JSON list of lines: {raw[:80]!r}")
        return ()
    return tuple(item for item in lines if item.strip())
