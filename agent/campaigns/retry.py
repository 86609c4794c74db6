"""The retry policy: per unanswered outcome, how many more tries and how long to wait before each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

RETRYABLE = ("no_answer", "busy", "failed", "voicemail", "unknown")
DEFAULT_POLICY = {
    "no_answer": {"max_retries": 2, "delay_minutes": 30},
    "busy": {"max_retries": 2, "delay_minutes": 10},
    "failed": {"max_retries": 1, "delay_minutes": 15},
    "voicemail": {"max_retries": 1, "delay_minutes": 60},
    "unknown": {"max_retries": 3, "delay_minutes": 5},
}
# An attempt that may or may not have placed its call always gets a next attempt, which first looks the call up
# and dials only if there was none (the status callbacks have had these minutes to arrive): a policy that says
# nothing about ``unknown`` gets this rule.
UNKNOWN_RULE = DEFAULT_POLICY["unknown"]


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    max_retries: int
    delay: timedelta


@dataclass(frozen=True)
class RetryPolicy:
    rules: dict[str, Rule]

    @classmethod
    def parse(cls, data: dict[str, Any] | None) -> RetryPolicy:
        data = DEFAULT_POLICY if data is None else {"unknown": UNKNOWN_RULE, **data}
        rules: dict[str, Rule] = {}
        for outcome, rule in data.items():
            if outcome not in RETRYABLE:
                raise PolicyError(f"retry_policy: '{outcome}' is not retryable ({', '.join(RETRYABLE)})")
            try:
                retries = int(rule.get("max_retries", 0))
                minutes = float(rule.get("delay_minutes", 0))
            except (AttributeError, TypeError, ValueError):
                raise PolicyError(f"retry_policy.{outcome}: expected {{max_retries: N, delay_minutes: M}}") from None
            if retries < 0 or minutes < 0:
                raise PolicyError(f"retry_policy.{outcome}: numbers must not be negative")
            rules[outcome] = Rule(retries, timedelta(minutes=minutes))
        return cls(rules)

    def retry_after(self, status: str, earlier: list[str]) -> timedelta | None:
        """The wait before the next try after an attempt ended ``status``; None when no try is left.
        ``earlier``: the statuses of this round's earlier attempts (each outcome has its own budget)."""
        rule = self.rules.get(status)
        if rule is None:
            return None
        used = sum(1 for s in earlier if s == status)  # retries already spent on this outcome
        return rule.delay if used < rule.max_retries else None

    def as_json(self) -> dict[str, Any]:
        return {k: {"max_retries": r.max_retries, "delay_minutes": r.delay.total_seconds() / 60}
                for k, r in self.rules.items()}


def parse_retry_option(text: str) -> tuple[str, dict[str, float]]:
    """CLI form ``no_answer=2x30`` (2 retries, 30 minutes apart) → ("no_answer", {...})."""
    try:
        outcome, spec = text.split("=", 1)
        count, minutes = spec.lower().split("x", 1)
        return outcome.strip().replace("-", "_"), {"max_retries": int(count), "delay_minutes": float(minutes)}
    except ValueError:
        raise PolicyError(f"'{text}': expected OUTCOME=RETRIESxMINUTES, e.g. no_answer=2x30") from None
