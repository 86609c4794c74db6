"""How the agent words a line: one of several phrasings, rotated, with the prompt variables filled in.

The first choice of each line is seeded (same person, same day: same wording, so a call can be replayed);
asked again, the next phrasing is used, so a repeated question does not sound recorded.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

UNNAMED = "어르신"  # {name} when the person's name is not known


class Wording:
    def __init__(self, seed: int):
        self._rng = random.Random(seed)
        self._rotation: dict[str, int] = {}

    def pick(self, key: str, lines: Sequence[str]) -> str:
        """A seeded first choice, then rotation, so a repeated line is phrased differently."""
        if key not in self._rotation:
            self._rotation[key] = self._rng.randrange(len(lines))
        else:
            self._rotation[key] += 1
        return lines[self._rotation[key] % len(lines)]


def fill(line: str, variables: Mapping[str, str]) -> str:
    """The line with its {variables}; an unknown one stays as written."""
    text = line.format_map(_Variables(variables))
    return text.replace(f"{UNNAMED} 님", UNNAMED)  # no name known: "어르신", not "어르신 님"


def by_hour(table: Mapping[str, Mapping[int, str]], hour: int) -> dict[str, str]:
    """A scenario's `time_of_day` words at ``hour``: each variable takes the word of the latest hour at or
    before it ({4: 아침, 10: 점심, 16: 저녁} at 2 o'clock is still last night's 저녁)."""
    words = {}
    for variable, from_hour in table.items():
        hours = sorted(from_hour)
        earlier = [h for h in hours if h <= hour]
        words[variable] = from_hour[earlier[-1] if earlier else hours[-1]]
    return words


class _Variables(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
