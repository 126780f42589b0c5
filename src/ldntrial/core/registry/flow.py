"""Every started trial counts: the flow of trials, and the intention-to-treat effects.

The flow is started -> completed / stopped early (by reason) / lost to follow-up / still
running, and its numbers add up by construction (a ``Flow`` that does not is refused).

Two pooled estimates are reported side by side (docs/decisions/0014-pooling.md):

- completers: trials that reached reassessment with an outcome;
- intention to treat: every trial that has ended (completed, stopped early, lost to follow-up).
  A trial with its own outcome (a trial stopped early may have one) contributes it. A trial
  without one counts as **no change**: effect 0 with the median posterior SD of the completers'
  effects. This is a conservative sensitivity rule, the pooled counterpart of counting a
  drop-out as a non-responder: it assumes no benefit for those whose outcome is missing, pulls
  the mean toward 0 and widens the spread; it does not model why an outcome is missing.

Trials still running are counted in the flow and in neither estimate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ldntrial.core.analysis.random_effects import Array
from ldntrial.core.errors import InvalidValue
from ldntrial.core.registry.summaries import Completion, PatientSummary, StopReason

NO_CHANGE = 0.0
ITT_RULE = (
    "Intention to treat: every trial that has ended counts. A trial without an outcome counts "
    "as no change (effect 0, with the median posterior SD of the completers' effects); trials "
    "still running are left out."
)


@dataclass(frozen=True)
class Flow:
    started: int
    completed: int
    completed_without_outcome: int
    stopped_early: tuple[tuple[StopReason, int], ...]  # every reason, in the enum's order
    lost_to_follow_up: int
    running: int

    def __post_init__(self) -> None:
        counts = [self.started, self.completed, self.completed_without_outcome]
        counts += [self.lost_to_follow_up, self.running] + [n for _, n in self.stopped_early]
        if any(n < 0 for n in counts):
            raise InvalidValue("flow counts cannot be negative")
        if [reason for reason, _ in self.stopped_early] != list(StopReason):
            raise InvalidValue("the flow lists every stop reason once, in order")
        if self.completed_without_outcome > self.completed:
            raise InvalidValue("more completed trials without an outcome than completed trials")
        parts = self.completed + self.stopped_early_total + self.lost_to_follow_up + self.running
        if parts != self.started:
            raise InvalidValue(
                f"the flow does not add up: {self.started} started but {parts} accounted for"
            )

    @property
    def stopped_early_total(self) -> int:
        return sum(n for _, n in self.stopped_early)

    @property
    def ended(self) -> int:
        return self.started - self.running

    @property
    def completers(self) -> int:
        return self.completed - self.completed_without_outcome

    @classmethod
    def of(cls, summaries: Iterable[PatientSummary]) -> Flow:
        rows = list(summaries)
        status = [s.status for s in rows]
        stopped = [s.stop_reason for s in rows if s.status is Completion.STOPPED_EARLY]
        return cls(
            started=len(rows),
            completed=status.count(Completion.COMPLETED),
            completed_without_outcome=sum(
                1 for s in rows if s.status is Completion.COMPLETED and not s.has_outcome
            ),
            stopped_early=tuple((reason, stopped.count(reason)) for reason in StopReason),
            lost_to_follow_up=status.count(Completion.LOST_TO_FOLLOW_UP),
            running=status.count(Completion.RUNNING),
        )


@dataclass(frozen=True)
class Outcomes:
    """Effects ready to pool, with the summaries they came from (same order)."""

    summaries: tuple[PatientSummary, ...]
    effects: Array
    sds: Array
    imputed: int  # how many are "no change" stand-ins

    def __len__(self) -> int:
        return len(self.summaries)


def completers(summaries: Iterable[PatientSummary]) -> Outcomes:
    """Trials that reached reassessment with an outcome."""
    rows = tuple(s for s in summaries if s.status is Completion.COMPLETED and s.has_outcome)
    return Outcomes(
        rows,
        np.array([s.effect for s in rows], dtype=float),
        np.array([s.effect_sd for s in rows], dtype=float),
        0,
    )


def intention_to_treat(summaries: Iterable[PatientSummary]) -> Outcomes | None:
    """Every ended trial; a missing outcome counts as no change (see the module docstring).

    None when no trial has completed with an outcome, so there is no SD to give a stand-in."""
    rows = tuple(s for s in summaries if s.status is not Completion.RUNNING)
    done = completers(rows)
    if len(done) == 0:
        return None
    stand_in_sd = float(np.median(done.sds))
    effects = [s.effect if s.effect is not None else NO_CHANGE for s in rows]
    sds = [s.effect_sd if s.effect_sd is not None else stand_in_sd for s in rows]
    return Outcomes(
        rows,
        np.array(effects, dtype=float),
        np.array(sds, dtype=float),
        sum(1 for s in rows if not s.has_outcome),
    )
