"""The evidence summary of one condition as plain text for the terminal, with citations."""

from __future__ import annotations

from ldntrial.core.evidence.studies import Study
from ldntrial.core.evidence.summary import Summary


def _study_line(s: Study) -> list[str]:
    head = f"- {s.short} ({s.design.label}"
    head += f", {s.participants} participants" if s.participants else ""
    head += f", {s.dose}" if s.dose else ""
    head += ")"
    lines = [head]
    if s.primary_outcome:
        lines.append(f"    Primary outcome: {s.primary_outcome}")
    if s.result:
        lines.append(f"    Result: {s.result}")
    lines.append(f"    {s.citation.text()}")
    ids = ", ".join(
        x
        for x in (
            f"DOI {s.citation.doi}" if s.citation.doi else "",
            f"PMID {s.citation.pmid}" if s.citation.pmid else "",
            s.citation.registry or "",
        )
        if x
    )
    if ids:
        lines.append(f"    {ids}")
    lines.append(f"    Source: {s.urls[0]}")
    if s.notes:
        lines.append(f"    Note: {s.notes}")
    return lines


def evidence_text(summary: Summary) -> str:
    g = summary.grade
    out = [
        f"LDN in {summary.condition.name}",
        "",
        f"Certainty of evidence: {g.label.upper()} (computed from the study records)",
        f"  Starts {g.start.label if g.start else '-'}: {g.start_reason}",
    ]
    for d in g.downgrades:
        out.append(f"  Down {d.levels} for {d.domain.value}: {d.reason}")
    out += [
        "",
        f"Randomised trials: {len(summary.trials)}, {summary.participants_randomised} "
        f"participants; direction: {summary.direction}",
    ]
    if summary.trials:
        out += ["", "Randomised trials, largest first:"]
        for s in summary.trials:
            out += _study_line(s)
    if summary.other_studies:
        out += ["", "Other studies (no randomised comparison):"]
        for s in summary.other_studies:
            out += _study_line(s)
    if summary.reviews:
        out += ["", "Systematic reviews:"]
        for s in summary.reviews:
            out += _study_line(s)
    if summary.registered:
        out += ["", "Registered trials without results:"]
        for s in summary.registered:
            out += [f"- {s.short}: {s.citation.registry or ''} {s.urls[0]}".rstrip()]
    c = summary.context
    out += ["", "Arguments for (from the clinical literature):"]
    out += [f"- {p.text}" for p in c.arguments_for]
    out += ["", "Arguments against:"]
    out += [f"- {p.text}" for p in c.arguments_against]
    out += ["", "Proposed mechanisms (hypotheses, not established):"]
    out += [f"- {p.text}" for p in c.mechanisms]
    out += ["", "Common side effects:"]
    out += [f"- {e.name}: {e.frequency}" for e in c.side_effects]
    out += ["", f"Opioids: {c.opioid_warning.text}"]
    return "\n".join(out)
