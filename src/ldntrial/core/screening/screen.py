"""Screening before LDN: medicines, conditions and planned procedures, each finding sourced.

``screen`` returns every finding in a deterministic order (most severe first, then in the order
the medicines were listed) and an overall verdict, the most severe finding. Text that names
nothing known is an ``unrecognised`` finding that the clinician must resolve; a misspelling that
resembles an opioid is flagged as that opioid. A medicine recorded as stopped, with its last dose,
sets the earliest first dose through its opioid-free interval.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ldntrial.core.errors import InvalidValue
from ldntrial.core.screening.catalogue import Medicine, Severity, most_severe
from ldntrial.core.screening.intervals import FirstDoseLimit, earliest_first_dose
from ldntrial.core.screening.matching import (
    CATALOGUE_SOURCE,
    Leftover,
    LineMatch,
    Match,
    Matcher,
    MatchKind,
    Reading,
)
from ldntrial.core.screening.rules import Advice, Rules, Situation
from ldntrial.core.sources import Source


class ResolutionKind(enum.Enum):
    CATALOGUE_ENTRY = "catalogue_entry"  # the clinician chose what the text means
    NOT_AN_OPIOID = "not_an_opioid"  # the clinician confirmed it is not an opioid


@dataclass(frozen=True)
class Resolution:
    kind: ResolutionKind
    medicine_key: str | None = None
    by: str = ""


@dataclass(frozen=True)
class MedicineLine:
    text: str
    resolution: Resolution | None = None
    stopped: bool = False  # no longer taken
    last_dose: dt.date | None = None  # the day of the last dose, when known


@dataclass(frozen=True)
class Finding:
    severity: Severity
    subject: str
    text: str  # what was typed (or the situation)
    reason: str
    action: str
    sources: tuple[Source, ...]
    line: int | None = None  # position in the medicine list, from 0
    medicine_key: str | None = None
    confidence: float | None = None
    suggestion: str | None = None
    situation: Situation | None = None
    how: MatchKind | None = None
    components: tuple[str, ...] = ()  # the ingredients of the product it names

    @property
    def needs_resolving(self) -> bool:
        """Unrecognised text, or a guess from a misspelling: the clinician says what it is."""
        return self.line is not None and (
            self.severity is Severity.UNRECOGNISED or self.how is MatchKind.FUZZY
        )


@dataclass(frozen=True)
class Screening:
    findings: tuple[Finding, ...]
    limits: tuple[FirstDoseLimit, ...] = ()  # opioid-free intervals of stopped opioids
    advice: tuple[Advice, ...] = ()  # standing advice, shown with every screening

    @property
    def verdict(self) -> Severity:
        """The most severe finding; ``info`` when there is nothing more."""
        return most_severe(f.severity for f in self.findings)

    @property
    def contraindicated_medicines(self) -> tuple[str, ...]:
        """Medicines on the list that rule LDN out (an alert when a trial is running)."""
        return tuple(
            f.subject
            for f in self.findings
            if f.severity is Severity.CONTRAINDICATED and f.medicine_key is not None
        )

    @property
    def lines_to_resolve(self) -> frozenset[int]:
        """Positions in the medicine list whose text the clinician must resolve."""
        return frozenset(f.line for f in self.findings if f.needs_resolving and f.line is not None)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Findings that must be resolved before a trial can start."""
        return tuple(f for f in self.findings if f.severity.blocks_start)

    @property
    def earliest_first_dose(self) -> FirstDoseLimit | None:
        return earliest_first_dose(self.limits)


UNRECOGNISED_REASON = (
    "this text names nothing in the medicine vocabulary, so it cannot be checked for opioids"
)
UNRECOGNISED_ACTION = (
    "find out what it is; choose the catalogue entry it means, or confirm it is not an opioid"
)
QUALIFIED_REASON = (
    "{brand} is known, but '{qualifier}' changes what the product contains (for example "
    "codeine): this exact product is not in the vocabulary, so it cannot be cleared"
)
PARTIAL_REASON = (
    "the vocabulary knows {name} as {contents}, but not whether that is all it contains, and "
    "{contents} is combined with opioids in other products: check the exact product"
)
STOPPED_HINT = (
    " The text says it was stopped: record it as stopped with the day of the last dose, so that "
    "the opioid-free interval can be applied."
)


def screen(
    medicines: Sequence[MedicineLine | str],
    *,
    matcher: Matcher,
    rules: Rules,
    situations: Iterable[Situation] = (),
    surgery_planned: dt.date | None = None,
    today: dt.date | None = None,
) -> Screening:
    """Screen a medicine list and the patient's situations."""
    screener = _Screener(matcher, today)
    findings: list[Finding] = []
    limits: list[FirstDoseLimit] = []
    lines = [m if isinstance(m, MedicineLine) else MedicineLine(m) for m in medicines]
    for position, line in enumerate(lines):
        if not line.text.strip():
            continue
        found, limit = screener.line(line, position)
        findings.extend(found)
        if limit is not None:
            limits.append(limit)
    findings.extend(_situation_findings(rules, situations, surgery_planned, today))
    order = {s: i for i, s in enumerate(Situation)}
    findings.sort(
        key=lambda f: (
            f.severity.rank,
            f.line if f.line is not None else 10_000,
            order[f.situation] if f.situation is not None else -1,
            f.medicine_key or "",
            f.subject,
        )
    )
    return Screening(tuple(findings), tuple(limits), rules.advice)


def _situation_findings(
    rules: Rules,
    situations: Iterable[Situation],
    surgery_planned: dt.date | None,
    today: dt.date | None,
) -> list[Finding]:
    chosen = set(situations)
    if surgery_planned is not None:
        chosen.add(Situation.SURGERY_PLANNED)
    findings = []
    for situation in sorted(chosen, key=lambda s: list(Situation).index(s)):
        rule = rules.rules.get(situation)
        if rule is None:
            raise InvalidValue(
                f"no sourced rule for {situation.value!r}: the data file records it as a gap"
            )
        text = rule.label
        if situation is Situation.SURGERY_PLANNED and surgery_planned is not None:
            text = f"{rule.label} on {surgery_planned.isoformat()}"
            if today is not None and surgery_planned < today:
                raise InvalidValue(
                    f"the planned procedure date {surgery_planned.isoformat()} is in the past"
                )
        findings.append(
            Finding(
                rule.severity,
                rule.label,
                text,
                rule.reason,
                rule.action,
                rule.sources,
                situation=situation,
            )
        )
    return findings


@dataclass(frozen=True)
class _Rating:
    """What one matched name means: its most severe reading."""

    severity: Severity
    entry: Medicine | None  # the catalogue entry that decided it
    reading: Reading
    via: str | None  # the ingredient that carries the entry's rating, for a product
    certain: bool = True  # some reading says all the product contains
    named_by: tuple[Source, ...] = ()  # the vocabulary sources of every reading of the name


class _Screener:
    def __init__(self, matcher: Matcher, today: dt.date | None) -> None:
        self.matcher = matcher
        self.catalogue = matcher.catalogue
        self.ingredients = matcher.ingredients
        self.today = today

    def line(
        self, line: MedicineLine, position: int
    ) -> tuple[list[Finding], FirstDoseLimit | None]:
        findings = self._current(line, position)
        if line.stopped:
            return self._stopped(line, findings)
        return findings, None

    def _current(self, line: MedicineLine, position: int) -> list[Finding]:
        resolution = line.resolution
        if resolution is not None and resolution.kind is ResolutionKind.NOT_AN_OPIOID:
            return [
                Finding(
                    Severity.INFO,
                    line.text,
                    line.text,
                    f"confirmed not an opioid by {resolution.by or 'the clinician'}",
                    "none",
                    (),
                    line=position,
                )
            ]
        if resolution is not None and resolution.medicine_key is not None:
            entry = self.catalogue.get(resolution.medicine_key)
            reading = Reading(entry.generic, entry.ingredients, CATALOGUE_SOURCE, entry.key)
            rating = _Rating(entry.severity, entry, reading, None)
            return [self._finding(rating, line.text, position, None, 1.0, entry.generic)]
        result = self.matcher.match(line.text)
        return self._matched(result, line.text, position)

    def _matched(self, result: LineMatch, typed: str, position: int) -> list[Finding]:
        ratings = {m.text: self._rate(m) for m in result.matches}
        qualified = {left.after for left in result.leftovers if left.after is not None}
        findings: list[Finding] = []
        seen: set[tuple[str | None, str]] = set()
        for match in result.matches:
            rating = ratings[match.text]
            phrase = " ".join(match.text.lower().split())
            if phrase in qualified and rating.severity.rank > Severity.UNRECOGNISED.rank:
                continue  # reported with its qualifier, as unrecognised
            key = (rating.entry.key if rating.entry else None, rating.reading.display)
            if key in seen:  # "Robitussin DM": two names of one product
                continue
            seen.add(key)
            findings.append(
                self._finding(rating, typed, position, match.how, match.confidence, match.text)
            )
        for left in result.leftovers:
            findings.extend(self._leftover(left, typed, position))
        if not findings:
            findings.append(_unrecognised(typed, typed, position, None, UNRECOGNISED_REASON))
        if result.says_stopped:
            findings = [
                replace(f, action=f.action + STOPPED_HINT)
                if f.severity is Severity.CONTRAINDICATED
                else f
                for f in findings
            ]
        return findings

    def _rate(self, match: Match) -> _Rating:
        ratings = [self._rate_reading(reading) for reading in match.readings]
        worst = min(ratings, key=lambda r: r.severity.rank)
        certain = any(self.matcher.is_certain(r) for r in match.readings)
        named_by = tuple(dict.fromkeys(s for r in match.readings for s in self._source(r)))
        return replace(worst, certain=certain, named_by=named_by)

    def _rate_reading(self, reading: Reading) -> _Rating:
        product = self.catalogue.get(reading.product) if reading.product else None
        rated = [self.ingredients.rate(c) for c in reading.components]
        worst = min(rated, key=lambda r: r.severity.rank, default=None)
        if product is not None and (worst is None or product.severity.rank <= worst.severity.rank):
            return _Rating(product.severity, product, reading, None)
        if worst is None or worst.entry is None:
            return _Rating(Severity.INFO, None, reading, None)
        return _Rating(worst.entry.severity, worst.entry, reading, worst.name)

    def _finding(
        self,
        rating: _Rating,
        typed: str,
        position: int,
        how: MatchKind | None,
        confidence: float,
        named: str,
    ) -> Finding:
        reading, entry = rating.reading, rating.entry
        if not rating.certain and rating.severity.rank > Severity.UNRECOGNISED.rank:
            contents = ", ".join(c.lower() for c in reading.components)
            return _unrecognised(
                named,
                typed,
                position,
                None,
                PARTIAL_REASON.format(name=named, contents=contents),
            )
        components = tuple(
            self.ingredients.rate(c).name if c in self.catalogue.medicines else c.lower()
            for c in reading.components
        )
        if entry is not None and components == (entry.generic,):
            components = ()
        source = rating.named_by or self._source(reading)
        if entry is None or (rating.severity is Severity.INFO and rating.via is not None):
            # A product of non-opioids from the vocabulary: name the product and its contents.
            contents = ", ".join(components)
            plain = " ".join(reading.display.lower().split())
            said = f" ({plain} contains {contents})" if contents and components != (plain,) else ""
            return Finding(
                Severity.INFO,
                plain,
                typed,
                f"not an opioid{said}",
                "none",
                source,
                line=position,
                medicine_key=reading.product,
                confidence=confidence,
                how=how,
                components=() if components == (plain,) else components,
            )
        reason = entry.meaning
        if rating.via is not None:
            reason = f"{named} contains {rating.via.lower()}: {entry.meaning}"
        return Finding(
            entry.severity,
            entry.generic,
            typed,
            reason,
            _action(entry),
            (*entry.sources, *(s for s in source if s not in entry.sources)),
            line=position,
            medicine_key=entry.key,
            confidence=confidence,
            how=how,
            components=components,
        )

    def _source(self, reading: Reading) -> tuple[Source, ...]:
        known = self.matcher.source_of(reading)
        return () if known is None else (known,)

    def _leftover(self, left: Leftover, typed: str, position: int) -> list[Finding]:
        text, suggestion = left.text, left.suggestion
        resembles = self.matcher.resembles_opioid(text)
        if resembles is not None:
            key, confidence = resembles
            entry = self.catalogue.get(key)
            return [
                Finding(
                    entry.severity,
                    f"possibly {entry.generic}",
                    typed,
                    f"'{text}' resembles {entry.generic} (match {confidence:.0%}), so it is "
                    f"treated as {entry.generic} until checked: {entry.meaning}",
                    f"Check what it is and resolve it. {_action(entry)}",
                    entry.sources,
                    line=position,
                    medicine_key=entry.key,
                    confidence=confidence,
                    how=MatchKind.FUZZY,
                )
            ]
        if left.after is not None:
            reason = QUALIFIED_REASON.format(brand=left.after, qualifier=text)
            return [_unrecognised(left.product, typed, position, suggestion, reason)]
        return [_unrecognised(text, typed, position, suggestion, UNRECOGNISED_REASON)]

    def _stopped(
        self, line: MedicineLine, findings: list[Finding]
    ) -> tuple[list[Finding], FirstDoseLimit | None]:
        """A medicine no longer taken: an opioid sets the opioid-free interval."""
        limits: list[FirstDoseLimit] = []
        kept = []
        for finding in findings:
            changed, limit = self._stopped_finding(line, finding)
            kept.append(changed)
            if limit is not None:
                limits.append(limit)
        return kept, earliest_first_dose(limits)

    def _stopped_finding(
        self, line: MedicineLine, finding: Finding
    ) -> tuple[Finding, FirstDoseLimit | None]:
        last = line.last_dose
        if finding.severity is Severity.UNRECOGNISED:
            longest = self.catalogue.longest_interval
            if last is None or self.today is None or longest is None:
                return finding, None
            if (self.today - last).days <= longest.days:
                return finding, None
            reason = (
                f"no longer taken; the last dose ({last.isoformat()}) was longer ago than the "
                f"longest opioid-free interval ({longest.label}: {longest.days} days)"
            )
            return replace(finding, severity=Severity.INFO, reason=reason, action="none"), None
        entry = self.catalogue.medicines.get(finding.medicine_key or "")
        opioid = finding.severity is Severity.CONTRAINDICATED and entry is not None and entry.opioid
        if not opioid or entry is None:
            reason = f"no longer taken. {finding.reason}"
            return replace(finding, severity=Severity.INFO, reason=reason, action="none"), None
        interval = entry.interval
        if interval is None:  # unknown is never fine: the clinician decides
            reason = (
                "recorded as stopped, but no opioid-free interval is known for it. "
                f"{finding.reason}"
            )
            return replace(finding, reason=reason), None
        if last is None:
            return (
                replace(
                    finding,
                    reason=f"recorded as stopped, without the day of the last dose. "
                    f"{finding.reason}",
                    action="Record the day of the last dose: the opioid-free interval is counted "
                    f"from it ({interval.label}: {interval.days} days).",
                ),
                None,
            )
        limit = FirstDoseLimit(finding.subject, line.text, last, interval)
        passed = self.today is not None and self.today >= limit.earliest
        changed = replace(
            finding,
            severity=Severity.INFO if passed else Severity.CAUTION,
            reason=f"stopped; {limit.describe()}",
            action="none: the interval has passed"
            if passed
            else f"Do not give the first LDN dose before {limit.earliest.isoformat()}.",
            sources=(*interval.sources, *finding.sources),
        )
        return changed, limit


def _action(entry: Medicine) -> str:
    if entry.interval is None:
        return entry.action
    interval = entry.interval
    return f"{entry.action} ({interval.label}: {interval.days} days)."


def _unrecognised(
    subject: str, typed: str, position: int, suggestion: str | None, reason: str
) -> Finding:
    return Finding(
        Severity.UNRECOGNISED,
        subject,
        typed,
        reason,
        UNRECOGNISED_ACTION,
        (),
        line=position,
        suggestion=suggestion,
    )
