"""What an ingredient means for LDN: opioid status is decided by ingredient, never by brand.

The curated catalogue rates each opioid-relevant substance (and a few others, such as
levothyroxine). An ingredient named by the vendored vocabulary ("HYDROCODONE BITARTRATE",
"CODEINE PHOSPHATE HEMIHYDRATE") is rated by the catalogue entry it names, or, for a salt or an
ester the catalogue does not list, by any opioid whose name it contains as a word: flagging may be
fuzzy. An ingredient that names no rated entry is not an opioid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from ldntrial.core.screening.catalogue import Medicine, MedicineCatalogue, NameKind, Severity
from ldntrial.core.screening.text import normalise

_PLAIN = re.compile(r"[a-z]+( [a-z]+)*")
# Name kinds that identify a substance (not a brand, street name or misspelling).
_SUBSTANCE_NAMES = (NameKind.GENERIC, NameKind.SALT)


@dataclass(frozen=True)
class Rated:
    """An ingredient and the catalogue entry that rates it (None: not an opioid, not rated)."""

    name: str
    entry: Medicine | None
    by_word: bool = False  # rated because its name contains the entry's name as a word

    @property
    def severity(self) -> Severity:
        return Severity.INFO if self.entry is None else self.entry.severity


class Ingredients:
    def __init__(self, catalogue: MedicineCatalogue) -> None:
        self.catalogue = catalogue

    @cached_property
    def _by_name(self) -> dict[str, str]:
        """Substance names (generic and salt names of one-ingredient entries) -> entry key."""
        names: dict[str, str] = {}
        for entry in self.catalogue.medicines.values():
            if not entry.is_substance:
                continue
            names.setdefault(normalise(entry.key.replace("_", " ")), entry.key)
            names.setdefault(normalise(entry.generic), entry.key)
            for name in entry.names:
                if name.kind in _SUBSTANCE_NAMES:
                    names.setdefault(normalise(name.text), entry.key)
        return names

    @cached_property
    def _flag_words(self) -> dict[str, str]:
        """One-word substance names of entries rated above info -> entry key."""
        return {
            name: key
            for name, key in self._by_name.items()
            if " " not in name and self.catalogue.get(key).severity.rank < Severity.INFO.rank
        }

    def rate(self, ingredient: str) -> Rated:
        rated = self._rated.get(ingredient)
        if rated is None:
            rated = self._rated[ingredient] = self._rate(ingredient)
        return rated

    @cached_property
    def _rated(self) -> dict[str, Rated]:
        return {}

    def _rate(self, ingredient: str) -> Rated:
        if ingredient in self.catalogue.medicines:
            entry = self.catalogue.get(ingredient)
            if entry.is_substance:
                return Rated(entry.generic, entry)
        plain = ingredient.lower()
        # Most ingredient names (the vocabulary's) are letters and spaces: skip the full pass.
        name = plain if _PLAIN.fullmatch(plain) else normalise(ingredient)
        key = self._by_name.get(name)
        if key is not None:
            return Rated(ingredient, self.catalogue.get(key))
        worst: Medicine | None = None
        for word in name.split():
            flagged = self._flag_words.get(word)
            if flagged is not None:
                entry = self.catalogue.get(flagged)
                if worst is None or entry.severity.rank < worst.severity.rank:
                    worst = entry
        return Rated(ingredient, worst, by_word=worst is not None)
