"""Matching free-text medicine lines to the catalogue.

"Tylenol #3 1 tab prn", "tramadol/apap 37.5/325", "oxycodon 5mg": strengths, forms and
frequencies are dropped, brand names map to their product, combinations are split into their
parts, and small misspellings are corrected with a confidence score. Whatever is left that may
name a medicine is returned as unrecognised: it is never dropped and never assumed safe.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property

from ldntrial.core.screening.catalogue import MedicineCatalogue
from ldntrial.core.screening.text import CONNECTORS, words

# A corrected word must be at least this similar to a catalogue word to count as a match; a
# word between SUGGEST and ACCEPT is left unrecognised, with the catalogue word as a suggestion.
ACCEPT = 0.85
SUGGEST = 0.7
FUZZY_MIN_LENGTH = 5  # shorter words are too easily mistaken for one another


@dataclass(frozen=True)
class Match:
    key: str
    text: str  # the words of the line that named it
    confidence: float  # 1.0 for an exact name


@dataclass(frozen=True)
class Leftover:
    text: str
    suggestion: str | None  # a catalogue name it resembles, when one does


@dataclass(frozen=True)
class LineMatch:
    line: str
    matches: tuple[Match, ...]
    leftovers: tuple[Leftover, ...]


class Matcher:
    def __init__(self, catalogue: MedicineCatalogue) -> None:
        self.catalogue = catalogue

    @cached_property
    def vocabulary(self) -> tuple[str, ...]:
        return tuple(sorted({w for name in self.catalogue.index for w in name.split()}))

    @cached_property
    def longest_name(self) -> int:
        return max(len(name.split()) for name in self.catalogue.index)

    def match(self, line: str) -> LineMatch:
        raw = words(line)
        corrected: list[tuple[str, float, str]] = []  # (word used, confidence, word typed)
        for word in raw:
            corrected.append(self._correct(word))
        matches: list[Match] = []
        leftovers: list[Leftover] = []
        pending: list[tuple[str, float, str]] = []
        i = 0
        while i < len(corrected):
            found = None
            # Connectors ("with", "and") sit inside names without counting as words.
            for size in range(min(2 * self.longest_name, len(corrected) - i), 0, -1):
                span = [w for w in corrected[i : i + size] if w[0] not in CONNECTORS]
                if not span or corrected[i][0] in CONNECTORS:
                    continue
                phrase = " ".join(w[0] for w in span)
                key = self.catalogue.index.get(phrase)
                if key is not None and all(w[1] >= ACCEPT for w in span):
                    found = (size, key, span)
                    break
            if found is None:
                pending.append(corrected[i])
                i += 1
                continue
            size, key, span = found
            leftovers.extend(self._leftover(pending))
            pending = []
            matches.append(
                Match(key, " ".join(w[2] for w in span), round(min(w[1] for w in span), 2))
            )
            i += size
        leftovers.extend(self._leftover(pending))
        return LineMatch(line, tuple(matches), tuple(leftovers))

    def _correct(self, word: str) -> tuple[str, float, str]:
        if word in CONNECTORS or word in self._vocabulary_set or len(word) < FUZZY_MIN_LENGTH:
            return (word, 1.0, word)
        close = difflib.get_close_matches(word, self.vocabulary, n=1, cutoff=SUGGEST)
        if not close:
            return (word, 0.0, word)
        ratio = difflib.SequenceMatcher(None, word, close[0]).ratio()
        return (close[0], ratio, word)

    @cached_property
    def _vocabulary_set(self) -> frozenset[str]:
        return frozenset(self.vocabulary)

    def _leftover(self, pending: list[tuple[str, float, str]]) -> list[Leftover]:
        """Unmatched words that may name a medicine, kept together as one piece of text."""
        meaningful = [w for w in pending if w[2] not in CONNECTORS and len(w[2]) >= 3]
        if not meaningful:
            return []
        suggestion = None
        for used, confidence, typed in meaningful:
            if used != typed and confidence >= SUGGEST:
                key = self.catalogue.index.get(used)
                if key is not None:
                    suggestion = self.catalogue.get(key).generic
                    break
        return [Leftover(" ".join(w[2] for w in pending if w[2] not in CONNECTORS), suggestion)]
