"""Matching free-text medicine lines to known names, asymmetrically.

"Tylenol #3 1 tab prn", "tramadol/apap 37.5/325", "Robitussin AC": strengths, forms and
frequencies are dropped, and the rest is matched against the names of the curated catalogue and
of the vendored vocabulary, longest names first. Clearing needs certainty, flagging does not:

- every word that may name a medicine must be matched exactly; whatever is left (an unknown word,
  a qualifier such as "AC" or "Plus" after a known brand) is returned as a leftover, which the
  screen reports as unrecognised: it is never dropped and never assumed safe;
- street names and abbreviations ("op", "DM") count only when every other word of the line names a
  medicine too, so "coal tar shampoo" and "DM type 2" never name opium or dextromethorphan;
- a misspelt word is never corrected into a match: a leftover that resembles an opioid's name is
  flagged as that opioid (fuzzy), and one that resembles another name only carries a suggestion.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz, process

from ldntrial.core.screening.catalogue import MedicineCatalogue, Severity
from ldntrial.core.screening.ingredients import Ingredients
from ldntrial.core.screening.text import (
    CONNECTORS,
    FORM_WORDS,
    HISTORY,
    QUALIFIERS,
    normalise,
    words,
)
from ldntrial.core.screening.vocabulary import Vocabulary, VocabularySource
from ldntrial.core.sources import Source

# A leftover word at least this similar (0-100) to a word of an opioid's name is flagged as that
# opioid; a leftover at least SUGGEST-similar to any known name carries it as a suggestion.
FLAG = 80
SUGGEST = 70
FUZZY_MIN_LENGTH = 5  # shorter words are too easily mistaken for one another
CATALOGUE_SOURCE = "catalogue"


class MatchKind(enum.Enum):
    """How a piece of a line was matched to a name."""

    EXACT = "exact"  # the line, as typed, is a known name
    NORMALISED = "normalised"  # the line is one known name once strengths, forms and doses go
    COMPONENT = "component"  # one of several medicines named in the line
    FUZZY = "fuzzy"  # a misspelling that resembles an opioid's name: it raises, never clears

    @property
    def label(self) -> str:
        return {
            MatchKind.EXACT: "exact name",
            MatchKind.NORMALISED: "name without strength and form",
            MatchKind.COMPONENT: "part of a combination",
            MatchKind.FUZZY: "resembles (possible misspelling)",
        }[self]


@dataclass(frozen=True)
class Reading:
    """One meaning of a matched name: a product or substance and its ingredients."""

    display: str
    components: tuple[str, ...]  # catalogue keys (curated) or substance names (vocabulary)
    source: str  # "catalogue" or a vocabulary source id
    product: str | None = None  # the catalogue entry, when the curated catalogue names it
    partial: bool = False  # the source does not say these are all it contains


@dataclass(frozen=True)
class Match:
    text: str  # the words of the line that named it (normalised)
    how: MatchKind
    readings: tuple[Reading, ...]
    confidence: float = 1.0


@dataclass(frozen=True)
class Leftover:
    """Words of a line that name nothing known."""

    text: str
    suggestion: str | None = None  # a known name it resembles: shown, never chosen for anyone
    after: str | None = None  # the known brand it qualifies ("Robitussin" in "Robitussin AC")
    before_brand: bool = False  # the qualifier comes first ("Extra Strength Tylenol")

    @property
    def product(self) -> str:
        """The brand and its qualifier as the line put them."""
        if self.after is None:
            return self.text
        return f"{self.text} {self.after}" if self.before_brand else f"{self.after} {self.text}"


@dataclass(frozen=True)
class LineMatch:
    line: str
    matches: tuple[Match, ...]
    leftovers: tuple[Leftover, ...]
    says_stopped: bool = False  # the text says it is no longer taken ("stopped 2022")


@dataclass
class _Token:
    typed: str
    matched: int | None = None  # index of the span that matched it


class Matcher:
    """Names of the curated catalogue and the vendored vocabulary, matched to typed lines."""

    def __init__(self, catalogue: MedicineCatalogue, vocabulary: Vocabulary | None = None) -> None:
        self.catalogue = catalogue
        self.vocabulary = vocabulary

    @cached_property
    def ingredients(self) -> Ingredients:
        return Ingredients(self.catalogue)

    @cached_property
    def opioid_partners(self) -> frozenset[str]:
        """Substances some product combines with an opioid (normalised names): paracetamol,
        ibuprofen, guaifenesin, naloxone... A brand known only from a source row that names one
        of these may be such a combination, so it is never cleared on that row alone."""
        combinations: list[tuple[str, ...]] = [
            entry.ingredients
            for entry in self.catalogue.medicines.values()
            if len(entry.ingredients) > 1
        ]
        if self.vocabulary is not None:
            combinations.extend(self.vocabulary.combinations())
        partners: set[str] = set()
        for components in combinations:
            rated = [self.ingredients.rate(c) for c in components]
            if not any(r.entry is not None and r.entry.opioid for r in rated):
                continue
            for component, rating in zip(components, rated, strict=True):
                entry = rating.entry
                if entry is not None and entry.opioid:
                    continue
                partners.add(normalise(component.replace("_", " ")))
                if entry is not None:
                    partners.add(normalise(entry.generic))
                    partners.update(normalise(n.text) for n in entry.names)
        return frozenset(partners)

    def is_certain(self, reading: Reading) -> bool:
        """Whether a reading says all a product contains: curated, a full source row, or a
        one-substance source row whose substance is never combined with an opioid."""
        if not reading.partial:
            return True
        return not any(normalise(c) in self.opioid_partners for c in reading.components)

    def source_of(self, reading: Reading) -> Source | None:
        """The vocabulary's source for a reading it gave (the catalogue cites per entry)."""
        if reading.source == CATALOGUE_SOURCE:
            return None
        return VocabularySource(reading.source).source

    def readings(self, name: str) -> tuple[Reading, ...]:
        found: list[Reading] = []
        key = self.catalogue.index.get(name)
        if key is not None:
            entry = self.catalogue.get(key)
            found.append(Reading(entry.generic, entry.ingredients, CATALOGUE_SOURCE, key))
        if self.vocabulary is not None:
            found.extend(
                Reading(r.display, r.components, r.source.value, None, r.partial)
                for r in self.vocabulary.readings(name)
            )
        return tuple(found)

    def is_restricted(self, name: str) -> bool:
        """A street name, an abbreviation or a name of ordinary English words only ("coal tar",
        "Allay"): it names a medicine only when the rest of the line does too."""
        if name in self.catalogue.index:
            return name in self.catalogue.restricted
        return self.vocabulary is not None and self.vocabulary.ordinary_words(name)

    @cached_property
    def longest_name(self) -> int:
        longest = max(len(name.split()) for name in self.catalogue.index)
        return max(longest, self.vocabulary.longest_name if self.vocabulary else 0)

    def match(self, line: str) -> LineMatch:
        raw = words(line)
        says_stopped = any(w in HISTORY for w in raw)
        tokens = [_Token(w) for w in raw if w not in HISTORY]
        spans = self._spans(tokens)
        content = [t for t in tokens if t.typed not in CONNECTORS]
        # Street names and abbreviations count only when the whole line is medicines.
        if any(t.matched is None for t in content):
            for index, (phrase, _) in enumerate(spans):
                if phrase is not None and self.is_restricted(phrase):
                    spans[index] = (None, ())
                    for t in tokens:
                        if t.matched == index:
                            t.matched = None
        matched = [(phrase, found) for phrase, found in spans if phrase is not None]
        how = _how(line, matched, unmatched=any(t.matched is None for t in content))
        matches = [
            Match(" ".join(t.typed for t in found), how, self.readings(phrase))
            for phrase, found in matched
        ]
        leftovers = self._leftovers(tokens, spans)
        return LineMatch(line, tuple(matches), tuple(leftovers), says_stopped)

    def _spans(self, tokens: list[_Token]) -> list[tuple[str | None, tuple[_Token, ...]]]:
        """Longest known names first, left to right. Connectors sit inside names."""
        spans: list[tuple[str | None, tuple[_Token, ...]]] = []
        i = 0
        while i < len(tokens):
            if tokens[i].typed in CONNECTORS:
                i += 1
                continue
            for size in range(min(2 * self.longest_name, len(tokens) - i), 0, -1):
                window = tokens[i : i + size]
                if window[-1].typed in CONNECTORS:
                    continue
                found = tuple(t for t in window if t.typed not in CONNECTORS)
                phrase = " ".join(t.typed for t in found)
                if all(t.typed in QUALIFIERS for t in found):
                    continue  # "DAC", "Compound": qualifiers, even where a source has the name
                if self.readings(phrase):
                    for t in found:
                        t.matched = len(spans)
                    spans.append((phrase, found))
                    i += size
                    break
            else:
                i += 1
        return spans

    def _leftovers(
        self, tokens: list[_Token], spans: list[tuple[str | None, tuple[_Token, ...]]]
    ) -> list[Leftover]:
        """Unmatched words, in runs, each run with what it may be and the brand it follows."""
        leftovers: list[Leftover] = []
        run: list[_Token] = []
        previous: str | None = None  # the phrase matched just before the run

        def close(following: str | None) -> None:
            meaningful = [t.typed for t in run if t.typed not in CONNECTORS]
            if meaningful:
                text = " ".join(meaningful)
                qualifies, first = (
                    (previous, False) if meaningful[0] in QUALIFIERS else (None, False)
                )
                if qualifies is None and meaningful[-1] in QUALIFIERS:
                    qualifies, first = following, True
                product = (
                    text
                    if qualifies is None
                    else f"{text} {qualifies}"
                    if first
                    else f"{qualifies} {text}"
                )
                leftovers.append(Leftover(text, self.suggest(product), qualifies, first))
            run.clear()

        for token in tokens:
            if token.matched is None:
                run.append(token)
                continue
            phrase = spans[token.matched][0]
            if run:
                close(phrase)
            previous = phrase
        if run:
            close(None)
        return leftovers

    # Fuzzy: suggestions and opioid look-alikes.

    @cached_property
    def _names(self) -> tuple[str, ...]:
        names = set(self.catalogue.index) - self.catalogue.restricted
        if self.vocabulary is not None:
            names.update(self.vocabulary)
        return tuple(sorted(names))

    def suggest(self, text: str) -> str | None:
        """A known name the text resembles, for the clinician to consider (never applied)."""
        if len(text.replace(" ", "")) < FUZZY_MIN_LENGTH:
            return None
        best = process.extractOne(text, self._names, scorer=fuzz.ratio, score_cutoff=SUGGEST)
        return None if best is None else str(best[0])

    @cached_property
    def _opioid_words(self) -> dict[str, str]:
        """Words that only opioid-relevant names use -> the entry that rates them.

        A word of an opioid's name ("oxycodone", "panadeine", "biodone") counts when no name of
        a non-opioid uses it too: "hills" in a pholcodine brand or "forte" name nothing by
        themselves. Names come from the catalogue and from the vocabulary, rated by ingredient.
        """
        opioid: dict[str, str] = {}
        ordinary: set[str] = set()

        def note(name: str, key: str | None) -> None:
            for word in name.split():
                if len(word) < FUZZY_MIN_LENGTH or word in QUALIFIERS or word in FORM_WORDS:
                    continue
                if key is None:
                    ordinary.add(word)
                else:
                    opioid.setdefault(word, key)

        for name, key in sorted(self.catalogue.index.items()):
            entry = self.catalogue.get(key)
            relevant = entry.severity.rank <= Severity.CAUTION.rank
            note(name, key if relevant and name not in self.catalogue.restricted else None)
        if self.vocabulary is not None:
            for name, components in self.vocabulary.components_by_name():
                rated = [self.ingredients.rate(c) for c in components]
                worst = min(rated, key=lambda r: r.severity.rank, default=None)
                relevant = worst is not None and worst.severity.rank <= Severity.CAUTION.rank
                note(name, worst.entry.key if relevant and worst and worst.entry else None)
        return {word: key for word, key in opioid.items() if word not in ordinary}

    @cached_property
    def _known_words(self) -> frozenset[str]:
        words = {w for name in self.catalogue.index for w in name.split()}
        if self.vocabulary is not None:
            words |= self.vocabulary.words
        return frozenset(words)

    def resembles_opioid(self, text: str) -> tuple[str, float] | None:
        """The catalogue entry of an opioid whose name a leftover word is or resembles, and how
        much. A word that names something else ("pills") is not taken for a misspelling."""
        best: tuple[str, float] | None = None
        candidates = list(self._opioid_words)
        for word in text.split():
            if len(word) < FUZZY_MIN_LENGTH or word in QUALIFIERS or word in FORM_WORDS:
                continue
            key = self._opioid_words.get(word)
            if key is not None:
                return (key, 1.0)
            if word in self._known_words:
                continue
            hit = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=FLAG)
            if hit is not None and (best is None or hit[1] > best[1] * 100):
                best = (self._opioid_words[str(hit[0])], round(float(hit[1]) / 100, 2))
        return best


def _how(
    line: str, matched: Iterable[tuple[str, tuple[_Token, ...]]], *, unmatched: bool
) -> MatchKind:
    pieces = list(matched)
    if len(pieces) != 1 or unmatched:
        return MatchKind.COMPONENT
    typed = " ".join(line.casefold().split())
    return MatchKind.EXACT if " ".join(words(typed)) == typed else MatchKind.NORMALISED
