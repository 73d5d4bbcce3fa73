"""`SURGIAI_CHAOS`: make named agents fail on purpose, to prove failover in tests and
benchmarks. Off unless set. Format: `agent=mode:rate` entries separated by `;` or `,`, where
mode is `raise` (the agent raises) or `timeout` (it hangs past its timeout) and rate is the
fraction of runs affected, e.g. `SURGIAI_CHAOS="greeting=raise:1.0;opt_out=timeout:0.2"`."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass
from typing import Literal

ChaosMode = Literal["raise", "timeout"]
_ENTRY = re.compile(r"^\s*([a-z0-9_]+)\s*=\s*(raise|timeout)\s*:\s*([0-9]*\.?[0-9]+)\s*$")


class ChaosError(RuntimeError):
    """A failure injected by SURGIAI_CHAOS."""


@dataclass(frozen=True)
class ChaosRule:
    mode: ChaosMode
    rate: float


def parse_chaos(spec: str | None) -> dict[str, ChaosRule]:
    rules: dict[str, ChaosRule] = {}
    for entry in re.split(r"[;,]", spec or ""):
        if not entry.strip():
            continue
        match = _ENTRY.match(entry)
        if match is None:
            raise ValueError(
                f"SURGIAI_CHAOS entry {entry.strip()!r} is not agent=raise|timeout:rate"
            )
        rate = float(match.group(3))
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"SURGIAI_CHAOS rate {rate} is not between 0 and 1")
        mode: ChaosMode = "raise" if match.group(2) == "raise" else "timeout"
        rules[match.group(1)] = ChaosRule(mode, rate)
    return rules


class Chaos:
    def __init__(self, rules: dict[str, ChaosRule]) -> None:
        self.rules = rules
        self._random = random.Random()  # noqa: S311 - fault injection, not security

    def strike(self, agent: str, timeout_seconds: float) -> None:
        """Called just before `agent` runs: raise, or hang past its timeout, at its rate."""
        rule = self.rules.get(agent)
        if rule is None or self._random.random() >= rule.rate:
            return
        if rule.mode == "raise":
            raise ChaosError(f"SURGIAI_CHAOS: {agent} fails on purpose")
        threading.Event().wait(timeout_seconds * 2 + 0.5)
