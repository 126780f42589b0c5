"""What of a stratum's analysis may be shown, with small cells suppressed (``suppression``).

``disclose(analysis, k)`` applies the rules of ``registry.suppression`` to everything a page or
an export shows of one stratum, and gives back only what may be shown (``None`` where a figure
is hidden, with the reason beside it), so a template cannot show a hidden figure by mistake:

- the whole stratum is hidden when fewer than k trials were started in it;
- the flow's cells (completed, stopped early by reason, lost, running) are a partition of the
  trials started, with complementary suppression;
- the pooled estimates and the per-patient (shrunken) estimates need at least k patients with
  an outcome (the intention-to-treat estimate: k ended trials);
- each subgroup (timing, dose band) needs k patients; the meta-regression needs k patients with
  a dose;
- each side-effect proportion is shown only when ``suppression.proportion`` allows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ldntrial.core.analysis.pooling import PooledEstimate
from ldntrial.core.registry.analysis import PatientEstimate, StratumAnalysis
from ldntrial.core.registry.comparisons import DoseTiming, Incidence, Subgroup
from ldntrial.core.registry.summaries import StopReason, Stratum
from ldntrial.core.registry.suppression import (
    Suppression,
    check_min_patients,
    partition,
    proportion,
    subgroups,
)

COMPLETED, LOST, RUNNING = "completed", "lost_to_follow_up", "running"


@dataclass(frozen=True)
class Cell:
    """A count as shown: the number, or None with why it is hidden."""

    label: str
    count: int | None
    suppression: Suppression

    @property
    def hidden(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class ShownFlow:
    started: Cell
    completed: Cell
    stopped_early: tuple[Cell, ...]  # by reason, in StopReason's order
    lost_to_follow_up: Cell
    running: Cell

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (self.completed, *self.stopped_early, self.lost_to_follow_up, self.running)


@dataclass(frozen=True)
class ShownSubgroup:
    label: str
    patients: int | None
    estimate: PooledEstimate | None
    suppression: Suppression


@dataclass(frozen=True)
class ShownIncidence:
    incidence: Incidence
    suppression: Suppression

    @property
    def shown(self) -> Incidence | None:
        return None if self.suppression.hidden else self.incidence


@dataclass(frozen=True)
class ShownStratum:
    stratum: Stratum
    min_patients: int
    hidden: Suppression  # SHOWN, or why nothing of the stratum is shown
    flow: ShownFlow | None
    completers: PooledEstimate | None
    completers_count: int | None
    intention_to_treat: PooledEstimate | None
    itt_count: int | None
    patients: tuple[PatientEstimate, ...]
    by_timing: tuple[ShownSubgroup, ...]
    by_dose_band: tuple[ShownSubgroup, ...]
    dose_timing: DoseTiming | None
    side_effects: tuple[ShownIncidence, ...]
    notes: tuple[str, ...]


def _flow(analysis: StratumAnalysis, k: int) -> ShownFlow:
    flow = analysis.flow
    cells: dict[str, int] = {COMPLETED: flow.completed}
    cells |= {reason.value: n for reason, n in flow.stopped_early}
    cells |= {LOST: flow.lost_to_follow_up, RUNNING: flow.running}
    result = partition(cells, k)

    def cell(key: str, label: str) -> Cell:
        shown = result.cells[key]
        return Cell(label, None if shown.hidden else cells[key], shown)

    started = Cell("started", None if result.total.hidden else flow.started, result.total)
    return ShownFlow(
        started=started,
        completed=cell(COMPLETED, "completed"),
        stopped_early=tuple(cell(r.value, _reason_label(r)) for r in StopReason),
        lost_to_follow_up=cell(LOST, "lost to follow-up"),
        running=cell(RUNNING, "still running"),
    )


def _reason_label(reason: StopReason) -> str:
    return "stopped early: " + reason.value.replace("_", " ")


def _subgroups(groups: tuple[Subgroup, ...], k: int) -> tuple[ShownSubgroup, ...]:
    rules = subgroups({g.label: g.patients for g in groups}, k)
    return tuple(
        ShownSubgroup(
            g.label,
            None if rules[g.label].hidden else g.patients,
            None if rules[g.label].hidden else g.estimate,
            rules[g.label],
        )
        for g in groups
    )


def disclose(analysis: StratumAnalysis, k: int) -> ShownStratum:
    check_min_patients(k)
    flow = analysis.flow
    if flow.started < k:
        return ShownStratum(
            analysis.stratum, k, Suppression.TOO_FEW_PATIENTS, None, None, None,
            None, None, (), (), (), None, (), (),
        )  # fmt: skip
    done = flow.completers
    ended = flow.ended
    enough = done >= k
    with_dose = sum(1 for p in analysis.patients if p.dose is not None)
    regression = analysis.dose_timing if with_dose >= k else None
    incidences = tuple(
        ShownIncidence(i, proportion(i.patients_with, i.patients_at_risk, k))
        for i in analysis.side_effects
    )
    notes = list(analysis.notes)
    if not enough:
        notes.append(
            f"fewer than {k} patients with an outcome: the pooled and per-patient estimates "
            "are not shown"
        )
    timing = _subgroups(analysis.by_timing, k) if enough else ()
    bands = _subgroups(analysis.by_dose_band, k) if enough else ()
    return ShownStratum(
        stratum=analysis.stratum,
        min_patients=k,
        hidden=Suppression.SHOWN,
        flow=_flow(analysis, k),
        completers=analysis.completers if enough else None,
        completers_count=done if enough else None,
        intention_to_treat=analysis.intention_to_treat if ended >= k and enough else None,
        itt_count=ended if ended >= k and enough else None,
        patients=analysis.patients if enough else (),
        by_timing=timing,
        by_dose_band=bands,
        dose_timing=regression,
        side_effects=incidences,
        notes=tuple(notes),
    )
