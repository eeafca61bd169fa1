"""What a candidate of `teamcast optimise` may change besides the priority order, and how.

* `--approaches`: the order of trying a sequential challenge's approaches (the kernel's
  `chal_tasks` and `task_approach_pos`).
* `--strategy`: parallel or sequential, per challenge with alternative approaches (the
  kernel's `chal_strategy`).
* `--hires`: the order in which open hires are filled. In the plan every hire's time to hire
  runs from day 0 at once, so their order cannot matter; the optimiser then reads hiring as a
  pipeline (teamcast's reading, not the lecture's): `slots` searches run at a time (default 1),
  each hire's sampled time to hire is how long its own search takes, and the next hire in the
  order starts its search when a slot frees. Baseline and best are both read this way, the
  baseline with the plan's hire order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from teamcast.errors import SimulationError
from teamcast.ext.kernel import STRATEGY_PARALLEL, STRATEGY_SEQUENTIAL, KernelInput

if TYPE_CHECKING:
    from teamcast.engine.forecast.compile import Compiled

STRATEGY_NAMES = {STRATEGY_PARALLEL: "parallel", STRATEGY_SEQUENTIAL: "sequential"}


@dataclass
class SearchSpace:
    """The searchable parts of a plan beyond the task order (empty when not asked for)."""

    compiled: Compiled
    base: KernelInput
    approaches: dict[int, tuple[int, ...]]  # sequential challenge -> approach order in the plan
    strategies: tuple[int, ...]  # challenges with alternative approaches whose strategy may change
    hires: tuple[int, ...]  # hire rows in plan order, when their fill order is searched
    hire_unit: np.ndarray  # unit index of each hire row
    slots: int = 1

    @classmethod
    def build(
        cls, compiled: Compiled, base: KernelInput, *, approaches: bool, strategy: bool, hires: bool, slots: int = 1
    ) -> SearchSpace:
        if slots < 1:
            raise SimulationError(f"hiring slots must be at least 1, got {slots}")
        sizes = np.diff(base.chal_ptr)
        members = {
            c: tuple(int(t) for t in base.chal_tasks[base.chal_ptr[c] : base.chal_ptr[c + 1]])
            for c in range(base.n_challenges)
        }
        searchable = (
            {
                c: m
                for c, m in members.items()
                if sizes[c] > 1 and (base.chal_strategy[c] == STRATEGY_SEQUENTIAL or strategy)
            }
            if approaches
            else {}
        )
        n_hires = compiled.plan.hires.height
        hire_unit = np.full(n_hires, -1, dtype=np.int64)
        for u, h in enumerate(compiled.unit_hire):
            if h >= 0:
                hire_unit[h] = u
        return cls(
            compiled=compiled,
            base=base,
            approaches=searchable,
            strategies=tuple(c for c in range(base.n_challenges) if sizes[c] > 1) if strategy else (),
            hires=tuple(range(n_hires)) if hires and n_hires > 1 else (),
            hire_unit=hire_unit,
            slots=slots,
        )

    def kernel_input(self, inp: KernelInput, candidate) -> KernelInput:
        """`inp` with the candidate's approach orders and strategies (the priority order set by the caller)."""
        changes: dict[str, Any] = {}
        if candidate.approaches:
            chal_tasks = inp.chal_tasks.copy()
            pos = inp.task_approach_pos.copy()
            for c, members in candidate.approaches.items():
                lo, hi = int(inp.chal_ptr[c]), int(inp.chal_ptr[c + 1])
                if sorted(members) != sorted(chal_tasks[lo:hi].tolist()):
                    raise SimulationError(f"a search reordered challenge {self.compiled.challenge_ids[c]} wrongly")
                chal_tasks[lo:hi] = members
                pos[list(members)] = np.arange(len(members))
            changes.update(chal_tasks=chal_tasks, task_approach_pos=pos)
        if candidate.strategies:
            strategy = inp.chal_strategy.copy()
            for c, s in candidate.strategies.items():
                if c not in self.strategies or s not in STRATEGY_NAMES:
                    raise SimulationError("a search set a strategy it may not (see SearchContext.strategies)")
                strategy[c] = s
            changes["chal_strategy"] = strategy
        return replace(inp, **changes) if changes else inp

    def arrivals(self, arrival: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
        """Hire arrivals when hires are filled in `order` through the pipeline (see the module docstring)."""
        if not self.hires:
            return arrival
        order = order or self.hires
        if sorted(order) != list(self.hires):
            raise SimulationError("a search proposed a hire order that does not list every open hire once")
        out = arrival.copy()
        n = arrival.shape[0]
        free = np.zeros((n, self.slots))  # when each search slot is next free, per trial
        rows = np.arange(n)
        for h in order:
            u = self.hire_unit[h]
            slot = np.argmin(free, axis=1)
            out[:, u] = free[rows, slot] + arrival[:, u]  # the sampled time to hire, from the search's start
            free[rows, slot] = out[:, u]
        return out

    def changes(self, best) -> dict[str, list[dict[str, Any]]]:
        """What the best candidate changed besides task and approach order."""
        c = self.compiled
        hires: list[dict[str, Any]] = []
        if self.hires and best.hires and tuple(best.hires) != self.hires:
            ids = c.plan.hires["id"].to_list()
            hires.append({"from": [ids[h] for h in self.hires], "to": [ids[h] for h in best.hires]})
        strategies = [
            {
                "challenge": c.challenge_ids[k],
                "from": STRATEGY_NAMES[int(self.base.chal_strategy[k])],
                "to": STRATEGY_NAMES[s],
            }
            for k, s in sorted(best.strategies.items())
            if s != int(self.base.chal_strategy[k])
        ]
        return {"hires_reordered": hires, "strategies_changed": strategies}

    def strategy_names(self, best) -> dict[str, str]:
        """{challenge id: strategy} where the best candidate changed the plan's."""
        return {
            self.compiled.challenge_ids[k]: STRATEGY_NAMES[s]
            for k, s in sorted(best.strategies.items())
            if s != int(self.base.chal_strategy[k])
        }

    def hire_order(self, best) -> list[str] | None:
        """The hire ids in the best fill order, when it was searched."""
        if not self.hires:
            return None
        ids = self.compiled.plan.hires["id"].to_list()
        return [ids[h] for h in (best.hires or self.hires)]


__all__ = ["STRATEGY_NAMES", "SearchSpace"]
