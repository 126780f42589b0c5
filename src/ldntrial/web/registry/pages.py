"""Read models for the researcher's pages: the clinic's registry per condition, suppressed.

Everything shown comes from ``core.registry.disclosure.disclose`` (small cells hidden there);
this module only arranges it and draws the charts. Blinded and open-label strata are kept in
separate sections and never combined: blinded trials give the effect of LDN against placebo
once they have ended and been unblinded (``registry.collect``), open-label trials the change
from baseline.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ldntrial import data
from ldntrial.core.analysis.pooling import PooledEstimate
from ldntrial.core.registry.analysis import StratumAnalysis, analyse
from ldntrial.core.registry.disclosure import Cell, ShownStratum, disclose
from ldntrial.core.registry.suppression import counts
from ldntrial.core.trial.protocol import Design
from ldntrial.reports.registry_charts import FlowBox, ForestRow, flow_diagram, forest_plot
from ldntrial.web.accounts.models import Clinic
from ldntrial.web.registry.collect import records, summaries_of

Z95 = 1.959963984540054  # the normal 97.5% quantile: own intervals are mean ± 1.96 SD
DESIGN_TITLES = {
    Design.BLINDED_N_OF_1: "Blinded n-of-1 trials (LDN against placebo)",
    Design.OPEN_LABEL: "Open-label trials (change from baseline)",
}
# What one number of the design is called in the pooled tables ("population mean ...").
DESIGN_NOUNS = {
    Design.BLINDED_N_OF_1: "effect against placebo",
    Design.OPEN_LABEL: "change",
}
# What a missing outcome counts as in the intention-to-treat estimate (an effect of 0).
NO_EFFECT_WORDS = {
    Design.BLINDED_N_OF_1: "no difference from placebo",
    Design.OPEN_LABEL: "no change",
}
BLINDED_NOTE = (
    "Blinded trials give the effect of LDN against placebo once they have ended and been "
    "unblinded. A trial still blinded is counted in the flow without an outcome: which periods "
    "were LDN stays with the pharmacy until the unblinding."
)


@dataclass(frozen=True)
class StratumView:
    shown: ShownStratum
    metric_label: str
    better: str
    forest_svg: str
    flow_svg: str


@dataclass(frozen=True)
class DesignSection:
    design: Design
    title: str
    noun: str
    label: str
    strata: tuple[StratumView, ...]
    hidden_strata: int  # strata with fewer than k started trials
    notes: tuple[str, ...]

    @property
    def itt_caption(self) -> str:
        return (
            "Intention to treat (every ended trial; a missing outcome counts as "
            f"{NO_EFFECT_WORDS[self.design]})"
        )


@dataclass(frozen=True)
class ConditionRow:
    key: str
    name: str
    started: int | None  # None: hidden (1 to k-1)


def condition_rows(clinic: Clinic, k: int) -> list[ConditionRow]:
    """Started trials per condition (first trial per patient and design), small counts hidden."""
    catalogue = data.conditions()
    started = Counter(r.protocol.condition for r in records(clinic))
    shown = counts(dict(started), k)
    return [
        ConditionRow(key, catalogue.get(key).name, None if shown[key].hidden else n)
        for key, n in sorted(started.items())
    ]


def condition_page(clinic: Clinic, condition: str, k: int) -> tuple[DesignSection, ...]:
    rows = [r for r in records(clinic) if r.protocol.condition == condition]
    analyses = analyse(summaries_of(rows))
    sections = []
    for design in (Design.BLINDED_N_OF_1, Design.OPEN_LABEL):
        mine = [a for a in analyses if a.stratum.design is design]
        views = [_view(a, k) for a in mine]
        shown = tuple(v for v in views if not v.shown.hidden.hidden)
        notes: list[str] = []
        if design is Design.BLINDED_N_OF_1 and any(r.protocol.design is design for r in rows):
            notes.append(BLINDED_NOTE)
        sections.append(
            DesignSection(
                design=design,
                title=DESIGN_TITLES[design],
                noun=DESIGN_NOUNS[design],
                label=mine[0].label if mine else "",
                strata=shown,
                hidden_strata=len(views) - len(shown),
                notes=tuple(notes),
            )
        )
    return tuple(sections)


def _view(analysis: StratumAnalysis, k: int) -> StratumView:
    shown = disclose(analysis, k)
    metric = data.instruments().get(analysis.stratum.metric)
    better = analysis.better.value
    ident = f"{analysis.stratum.design.value}-{analysis.stratum.metric}"
    return StratumView(
        shown=shown,
        metric_label=metric.label,
        better=better,
        forest_svg=_forest(shown, metric.label, better, ident) if shown.completers else "",
        flow_svg=_flow(shown, metric.label, ident) if shown.flow else "",
    )


def _forest(shown: ShownStratum, label: str, better: str, ident: str) -> str:
    rows = [
        ForestRow(
            p.patient_key[:10],
            p.effect,
            p.effect - Z95 * p.effect_sd,
            p.effect + Z95 * p.effect_sd,
            (p.shrunken_mean, *p.shrunken_interval),
        )
        for p in shown.patients
    ]
    pooled: PooledEstimate | None = shown.completers
    diamond = ForestRow("Population mean", pooled.mean, *pooled.mean_interval) if pooled else None
    mean_text = (
        f"; the population mean is {pooled.mean:.2f} points "
        f"({pooled.mean_interval[0]:.2f} to {pooled.mean_interval[1]:.2f})"
        if pooled
        else ""
    )
    return forest_plot(
        rows,
        pooled=diamond,
        title=f"{label}: each patient's estimate and the pooled estimate",
        description=(
            f"{len(rows)} patients. Hollow circles: each patient's own estimate with an "
            "approximate 95% interval; filled: the estimate after pooling (shrunken)"
            f"{mean_text}. The table beside the chart gives every number."
        ),
        better=better,
        mcid=pooled.mcid if pooled else None,
        ident=f"forest-{ident}",
    )


def _count(cell: Cell) -> str:
    return "hidden (small number)" if cell.count is None else str(cell.count)


def _flow(shown: ShownStratum, label: str, ident: str) -> str:
    flow = shown.flow
    if flow is None:
        return ""
    outcomes = [FlowBox(c.label, _count(c)) for c in flow.cells]
    text = "; ".join(f"{c.label}: {_count(c)}" for c in flow.cells)
    return flow_diagram(
        FlowBox("trials started", _count(flow.started)),
        outcomes,
        title=f"{label}: every started trial and what became of it",
        description=f"Trials started: {_count(flow.started)}. {text}.",
        ident=f"flow-{ident}",
    )
