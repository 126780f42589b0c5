"""Rebuild the vendored medicines vocabulary from its raw public sources.

    .venv/bin/python scripts/refresh_vocabulary.py \\
        --unii UNII_Names.txt \\
        --drugbank "drugbank vocabulary.csv" \\
        --dmd codelists/*-dmd.csv \\
        --words /usr/share/dict/american-english /usr/share/dict/british-english

writes ``src/ldntrial/data/medicine-names/names.tsv.gz`` and ``manifest.json`` (``--out`` to write
elsewhere). Where each input comes from, its licence and what the script does with it are in
``src/ldntrial/data/medicine-names/SOURCES.md``; the word lists are Debian's ``wamerican`` and
``wbritish`` (``apt-get install wamerican wbritish``). The output is deterministic: the same
inputs give byte-identical files.

Every row of ``names.tsv.gz`` is ``normalised, display, kind, components, source, flags``: a name
as ``normalise()`` sees it, the name as the source writes it, ``substance`` or ``product``, the
substances it contains (upper-case FDA UNII display names, ``;``-joined), the source id
(``fda-unii``, ``dmd-opensafely``, ``drugbank-open``) and flags, ``,``-joined: ``ordinary-words``
when every word of the name is an ordinary English word, ``partial`` when the source ties the name
to its components without saying they are all it contains. The vocabulary never says whether
anything is an opioid: that is decided by ingredient, elsewhere.
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import hashlib
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ldntrial.core.screening.text import normalise

SCHEMA = "ldntrial.vocabulary/1"
HEADER = ("normalised", "display", "kind", "components", "source", "flags")
DEFAULT_OUT = (
    Path(__file__).resolve().parent.parent / "src" / "ldntrial" / "data" / "medicine-names"
)
BAN_TABLE = DEFAULT_OUT / "ban_combinations.tsv"

UNII = "fda-unii"
DMD = "dmd-opensafely"
DRUGBANK = "drugbank-open"
SUBSTANCE = "substance"
PRODUCT = "product"
ORDINARY = "ordinary-words"
PARTIAL = "partial"

# A name longer than this (in normalised words) is a description, not something people type.
MAX_SUBSTANCE_WORDS = 6
# Marks of a systematic or descriptive chemical name: punctuation, locants ("4'-", "2,3-",
# "2.5-"), dotted stereo descriptors (".ALPHA."). Brand names are not tested against this.
CHEMICAL = re.compile(r"[,;:()\[\]{}=<>]|\d['\u2019,.-]|['\u2019,.-]\d|\.[A-Z]+\.")
TAG = re.compile(r"\s*\[[^\]]*\]\s*$")  # "PARACETAMOL [INN]": the list a name came from
# "NORCO COMPONENT HYDROCODONE BITARTRATE" (and its misspelling "COMPONENET OF").
COMPONENT = re.compile(r"^(?P<product>.+?) (?:ACTIVE )?COMPONEN?E?T(?: OF)? (?P<part>.+)$")
STRENGTH = re.compile(r"(?:^|\s)\d")  # dm+d: the strength starts the first token with a digit


@dataclass(frozen=True, order=True)
class Row:
    normalised: str
    kind: str
    components: tuple[str, ...]
    source: str
    display: str
    partial: bool = False  # the source names one substance of it, not necessarily all

    def key(self) -> tuple[str, str, tuple[str, ...], str]:
        return (self.normalised, self.kind, self.components, self.source)


@dataclass
class Report:
    """What each source gave and what was left out, for the manifest."""

    dropped: collections.Counter[str] = field(default_factory=collections.Counter)
    inputs: list[dict[str, str]] = field(default_factory=list)


# --- names ------------------------------------------------------------------------------------


def clean_unii_name(name: str) -> str:
    """A UNII name without its list tags: "PARACETAMOL [INN] [WHO-DD]" -> "PARACETAMOL"."""
    while True:
        stripped = TAG.sub("", name)
        if stripped == name:
            return name.strip()
        name = stripped


def looks_chemical(name: str) -> bool:
    return bool(CHEMICAL.search(name))


def usable(normal: str) -> str | None:
    """Why a normalised name is left out, or None when it is kept.

    Names made only of one- or two-letter words ("K", "DM", "AC", "PM", "B 6") or of product
    numbers alone are left out: such tokens are ordinary abbreviations in typed lines.
    """
    if not normal:
        return "empty after normalising"
    words = normal.split()
    if all(len(w) <= 2 or re.fullmatch(r"no\d+", w) for w in words):
        return "only one- or two-letter words"
    return None


# --- FDA UNII names ---------------------------------------------------------------------------


@dataclass
class Unii:
    """The UNII names file, read once: names by substance and the products it lists."""

    display: dict[str, str] = field(default_factory=dict)  # UNII -> display name
    names: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # UNII -> (type, name)
    brands: list[tuple[str, str]] = field(default_factory=list)  # (brand, UNII)
    components: dict[str, set[str]] = field(default_factory=dict)  # product -> UNIIs


def read_unii(path: Path, report: Report) -> Unii:
    unii = Unii()
    of_names: set[str] = set()
    rows: list[tuple[str, str, str, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if [h.strip() for h in header] != ["Name", "TYPE", "UNII", "Display Name"]:
            raise SystemExit(f"{path}: not a UNII names file (header {header!r})")
        for record in reader:
            if len(record) != 4:
                report.dropped[f"{UNII}: malformed row"] += 1
                continue
            name, kind, code, display = (part.strip() for part in record)
            rows.append((clean_unii_name(name), kind, code, display))
            if kind == "of":
                of_names.add(clean_unii_name(name))
    for name, kind, code, display in rows:
        unii.display[code] = display
        match = COMPONENT.match(name) if kind in ("bn", "cn") else None
        if match:
            product = match["product"]
            if product in of_names:  # "EPRINOMECTIN COMPONENT B1A": a chemical constituent
                report.dropped[f"{UNII}: component of a substance, not a product"] += 1
                continue
            unii.components.setdefault(product, set()).add(code)
        elif kind == "bn":
            unii.brands.append((name, code))
        elif kind in ("of", "cn"):
            unii.names.setdefault(code, []).append((kind, name))
        else:
            report.dropped[f"{UNII}: {kind} name (code or systematic)"] += 1
    return unii


def unii_rows(unii: Unii, in_scope: set[str], report: Report) -> Iterator[Row]:
    for brand, code in unii.brands:
        # A brand row ties the name to one substance; it does not say that is all the product
        # contains (MYSIMBA -> BUPROPION HYDROCHLORIDE, SUBOXONE -> BUPRENORPHINE).
        for row in _named(brand, PRODUCT, (unii.display[code],), UNII, report):
            yield Row(row.normalised, row.kind, row.components, row.source, row.display, True)
    for product, codes in unii.components.items():
        parts = tuple(sorted({unii.display[c] for c in codes}))
        yield from _named(product, PRODUCT, parts, UNII, report)
    for code in sorted(in_scope):
        display = unii.display[code]
        names = [display, *(name for _, name in unii.names.get(code, ()))]
        for name in names:
            yield from _substance(name, display, UNII, report)


def _named(
    display: str, kind: str, components: tuple[str, ...], source: str, report: Report
) -> Iterator[Row]:
    normal = normalise(display)
    why = usable(normal)
    if why:
        report.dropped[f"{source}: {why}"] += 1
        return
    yield Row(normal, kind, components, source, display)


def _substance(name: str, substance: str, source: str, report: Report) -> Iterator[Row]:
    if looks_chemical(name):
        report.dropped[f"{source}: systematic or chemical-looking name"] += 1
        return
    if len(normalise(name).split()) > MAX_SUBSTANCE_WORDS:
        report.dropped[f"{source}: longer than {MAX_SUBSTANCE_WORDS} words"] += 1
        return
    yield from _named(name, SUBSTANCE, (substance,), source, report)


# --- DrugBank open vocabulary -----------------------------------------------------------------


@dataclass(frozen=True)
class DrugBankEntry:
    common: str
    unii: str
    synonyms: tuple[str, ...]


def read_drugbank(path: Path) -> list[DrugBankEntry]:
    entries = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        wanted = {"DrugBank ID", "Common name", "UNII", "Synonyms"}
        if not reader.fieldnames or not wanted <= set(reader.fieldnames):
            raise SystemExit(f"{path}: not the DrugBank open vocabulary (columns {wanted})")
        for record in reader:
            synonyms = tuple(s.strip() for s in (record["Synonyms"] or "").split(" | "))
            entries.append(
                DrugBankEntry(
                    record["Common name"].strip(),
                    (record["UNII"] or "").strip(),
                    tuple(s for s in synonyms if s),
                )
            )
    return entries


def drugbank_rows(entries: list[DrugBankEntry], unii: Unii, report: Report) -> Iterator[Row]:
    for entry in entries:
        substance = unii.display.get(entry.unii)
        if substance is None:  # no UNII to name its substance consistently with the others
            report.dropped[f"{DRUGBANK}: entry without a UNII in the UNII file"] += 1
            continue
        for name in (entry.common, *entry.synonyms):
            yield from _substance(name, substance, DRUGBANK, report)


# --- substance look-up for dm+d ingredient names ----------------------------------------------


class Substances:
    """Names of substances -> the UNII display name they stand for.

    When a name stands for several substances, the one whose display name is that very name
    wins, then one whose display name normalises to it ("CODEINE PHOSPHATE" over CODEINE
    PHOSPHATE ANHYDROUS, which also has that common name), then the
    one with that official name, then common names, then DrugBank's names. A name that still
    stands for two substances ("TAR": pine tar, and a receptor's abbreviation) resolves to
    nothing: a dm+d product named by it is left out rather than given a guessed component.
    """

    def __init__(self, unii: Unii, drugbank: list[DrugBankEntry]) -> None:
        votes: dict[str, set[tuple[int, str]]] = {}

        def vote(name: str, rank: int, display: str) -> None:
            normal = normalise(name)
            if normal:
                votes.setdefault(normal, set()).add((rank, display))

        for code, display in unii.display.items():
            vote(display, 0, display)
            for kind, name in unii.names.get(code, ()):
                vote(name, 1 if kind == "of" else 2, display)
        for entry in drugbank:
            known = unii.display.get(entry.unii)
            if known:
                for name in (entry.common, *entry.synonyms):
                    vote(name, 3, known)
        self.best: dict[str, str] = {}
        self.ambiguous: set[str] = set()
        for normal, candidates in votes.items():
            best_rank = min(rank for rank, _ in candidates)
            tied = {d for rank, d in candidates if rank == best_rank}
            if len(tied) == 1:
                self.best[normal] = tied.pop()
            else:
                self.ambiguous.add(normal)

        self.displays = frozenset(unii.display.values())

    def get(self, name: str) -> str | None:
        exact = " ".join(name.upper().split())
        if exact in self.displays:  # "Tramadol" is TRAMADOL, not also "TRAMADOL, (+)-"
            return exact
        return self.best.get(normalise(name))


# --- UK dm+d product names (OpenSAFELY codelists) ---------------------------------------------


@dataclass(frozen=True)
class DmdRow:
    code: str
    term: str
    kind: str | None  # "VMP" (generic product) or "AMP" (a supplier's product), when given
    bnf: str | None


def read_dmd(path: Path, report: Report) -> list[DmdRow]:
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or ())
        if not {"code", "term"} <= fields:
            raise SystemExit(f"{path}: not an OpenSAFELY dm+d codelist (needs code and term)")
        type_field = "dmd_type" if "dmd_type" in fields else "type" if "type" in fields else None
        for record in reader:
            term = (record["term"] or "").strip()
            if not term:
                report.dropped[f"{DMD}: row without a term"] += 1
                continue
            kind = (record[type_field] or "").strip().upper() if type_field else None
            bnf = (record.get("bnf_code") or "").strip() or None
            if type_field == "type" and kind == "AMP":
                term = strip_supplier(term)
            rows.append(DmdRow(record["code"].strip(), term, kind or None, bnf))
    return rows


def strip_supplier(term: str) -> str:
    """ "Glimepiride 2mg tablets (Alliance Healthcare (Distribution) Ltd)" -> no supplier."""
    if not term.endswith(")"):
        return term
    depth = 0
    for i in range(len(term) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(term[i], 0)
        if depth == 0:
            return term[:i].rstrip()
    return term


def name_part(term: str) -> str:
    """The name in a dm+d term, before its strength: "Zapain 30mg/500mg tablets" -> "Zapain"."""
    parts = []
    for part in term.split(" / "):
        match = STRENGTH.search(part)
        parts.append((part[: match.start()] if match else part).strip())
    return " / ".join(p for p in parts if p)


class Ingredients:
    """The substances a dm+d generic name contains, or None when a name is not resolvable."""

    def __init__(self, substances: Substances, ban: dict[str, tuple[str, ...]]) -> None:
        self.substances = substances
        self.ban = ban

    def of(self, generic: str) -> tuple[str, ...] | None:
        found: set[str] = set()
        for part in generic.split(" / "):
            names = self.ban.get(normalise(part), (part,))
            for name in names:
                display = self.substances.get(name)
                if display is None:
                    return None
                found.add(display)
        return tuple(sorted(found)) or None


def read_ban(path: Path) -> dict[str, tuple[str, ...]]:
    table = {}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    body = [line for line in lines if not line.startswith("#")]
    reader = csv.DictReader(body, delimiter="\t")
    for record in reader:
        table[normalise(record["name"])] = tuple(
            i.strip() for i in record["ingredients"].split(";")
        )
    return table


def _equivalent_vmp(bnf: str) -> str:
    """The BNF code of the generic product an AMP's code names as its equivalent."""
    return bnf[:9] + "AA" + bnf[13:15] + bnf[13:15]


def _generic_index(
    typed: dict[str, DmdRow], ingredients: Ingredients
) -> tuple[dict[str, set[tuple[str, ...]]], dict[str, set[tuple[str, ...]]]]:
    """The ingredients of each generic product (VMP), by BNF code and by BNF chemical."""
    vmp_by_bnf: dict[str, set[tuple[str, ...]]] = {}
    vmp_by_chemical: dict[str, set[tuple[str, ...]]] = {}
    for row in typed.values():
        if row.kind == "VMP" and row.bnf:
            parts = ingredients.of(name_part(row.term))
            if parts:
                vmp_by_bnf.setdefault(row.bnf, set()).add(parts)
                vmp_by_chemical.setdefault(row.bnf[:9], set()).add(parts)
    return vmp_by_bnf, vmp_by_chemical


def dmd_rows(files: list[list[DmdRow]], ingredients: Ingredients, report: Report) -> Iterator[Row]:
    typed: dict[str, DmdRow] = {}
    for rows in files:
        for row in rows:
            if row.kind and row.bnf:
                typed.setdefault(row.code, row)
    vmp_by_bnf, vmp_by_chemical = _generic_index(typed, ingredients)

    def typed_parts(row: DmdRow) -> tuple[tuple[str, ...] | None, str]:
        if row.bnf is None:  # only rows with a BNF code reach here
            raise ValueError(f"{row}: a dm+d row without its BNF code")
        generic = row.kind == "VMP" or row.bnf[9:11] == "AA"
        if generic:
            return ingredients.of(name_part(row.term)), "generic name not resolved"
        for candidates in (
            vmp_by_bnf.get(_equivalent_vmp(row.bnf)),
            vmp_by_chemical.get(row.bnf[:9]),
        ):
            if candidates and len(candidates) == 1:
                return next(iter(candidates)), ""
            if candidates:
                return None, "brand whose generic has several readings"
        return None, "brand whose generic is not in the codelists"

    for rows in files:
        for row in rows:
            known = typed.get(row.code, row)
            why = ""
            if known.kind and known.bnf:
                parts, why = typed_parts(known)
                generic = known.kind == "VMP" or known.bnf[9:11] == "AA"
            else:
                # Without its dm+d type and BNF code a brand cannot be tied to its generic
                # product for certain, so only names that resolve to substances are kept.
                parts = ingredients.of(name_part(row.term))
                generic = parts is not None
                why = "brand without dm+d type and BNF code (its generic is not known)"
            if parts is None:
                report.dropped[f"{DMD}: {why or 'generic name not resolved'}"] += 1
                continue
            display = name_part(row.term) or row.term
            # A generic name of one substance ("Amlodipine") names the substance; brands and
            # combinations ("Zapain", "Co-codamol") are products.
            kind = SUBSTANCE if generic and len(parts) == 1 else PRODUCT
            yield from _named(display, kind, parts, DMD, report)


# --- the whole build --------------------------------------------------------------------------


def common_words(paths: Sequence[Path]) -> frozenset[str]:
    words: set[str] = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            word = line.strip()
            if word and word.islower() and word.isalpha():  # no proper nouns, no possessives
                words.add(word)
    return frozenset(words)


def build(
    unii_path: Path,
    drugbank_path: Path | None,
    dmd_paths: Sequence[Path],
    ban_path: Path,
    word_paths: Sequence[Path],
    report: Report,
) -> list[tuple[Row, str]]:
    dmd_paths = sorted(dmd_paths, key=lambda p: p.name)  # the same output in any order
    for role, path in (
        ("fda-unii", unii_path),
        *((("drugbank-open", drugbank_path),) if drugbank_path else ()),
        *(("dmd-opensafely", p) for p in dmd_paths),
        ("ban-table", ban_path),
        *(("words", p) for p in word_paths),
    ):
        report.inputs.append({"role": role, "file": path.name, "sha256": _sha256(path)})
    unii = read_unii(unii_path, report)
    drugbank = read_drugbank(drugbank_path) if drugbank_path else []
    substances = Substances(unii, drugbank)
    ingredients = Ingredients(substances, read_ban(ban_path))
    dmd_files = [read_dmd(p, report) for p in dmd_paths]
    dmd = list(dmd_rows(dmd_files, ingredients, report))
    drugbank_found = list(drugbank_rows(drugbank, unii, report))

    by_display = {display: code for code, display in unii.display.items()}
    in_scope = {code for code, names in unii.names.items() if any(k == "of" for k, _ in names)}
    in_scope |= {code for _, code in unii.brands}
    in_scope |= {code for codes in unii.components.values() for code in codes}
    in_scope |= {e.unii for e in drugbank if e.unii in unii.display}
    in_scope |= {by_display[c] for row in dmd for c in row.components if c in by_display}
    rows = [*unii_rows(unii, in_scope, report), *drugbank_found, *dmd]

    chosen: dict[tuple[str, str, tuple[str, ...], str], Row] = {}
    for row in rows:
        old = chosen.get(row.key())
        if old is None:
            chosen[row.key()] = row
            continue
        display = min((len(d), d) for d in (row.display, old.display))[1]
        partial = row.partial and old.partial  # a full list of components wins
        chosen[row.key()] = Row(*row.key(), display, partial)
    words = common_words(word_paths)
    out = []
    for row in sorted(chosen.values()):
        flags = []
        if words and all(w in words for w in row.normalised.split()):
            if row.partial and " " not in row.normalised:
                # "ROUNDUP", "BALANCE", "BED", "CHOICE", "VERSED": one ordinary word tied to one
                # substance (mostly pesticides and cosmetic ingredients) would turn ordinary
                # text into a medicine. Left out; names with their full components are kept.
                report.dropped[f"{row.source}: one-word brand that is an ordinary word"] += 1
                continue
            flags.append(ORDINARY)
        if row.partial:
            flags.append(PARTIAL)
        out.append((row, ",".join(flags)))
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def render(rows: Iterable[tuple[Row, str]]) -> str:
    buffer = io.StringIO()
    buffer.write(f"# {SCHEMA}\n")
    buffer.write("\t".join(HEADER) + "\n")
    for row, flags in rows:
        fields = (row.normalised, row.display, row.kind, ";".join(row.components), row.source)
        if any("\t" in f or "\n" in f for f in fields):
            raise SystemExit(f"a name contains a tab or a newline: {fields!r}")
        buffer.write("\t".join((*fields, flags)) + "\n")
    return buffer.getvalue()


def manifest(rows: list[tuple[Row, str]], report: Report) -> dict[str, object]:
    by_source = collections.Counter(row.source for row, _ in rows)
    by_kind = collections.Counter(f"{row.source}:{row.kind}" for row, _ in rows)
    return {
        "schema": SCHEMA,
        "inputs": report.inputs,
        "rows": len(rows),
        "names": len({row.normalised for row, _ in rows}),
        "rows_by_source": dict(sorted(by_source.items())),
        "rows_by_source_and_kind": dict(sorted(by_kind.items())),
        "ordinary_word_names": len({row.normalised for row, flags in rows if ORDINARY in flags}),
        "partial_rows": sum(1 for _, flags in rows if PARTIAL in flags),
        "left_out": dict(sorted(report.dropped.items())),
    }


def write(rows: list[tuple[Row, str]], report: Report, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = render(rows).encode("utf-8")
    with (
        (out / "names.tsv.gz").open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(data)
    text = json.dumps(manifest(rows, report), indent=2, sort_keys=False) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unii", type=Path, required=True, help="UNII_Names.txt")
    parser.add_argument("--drugbank", type=Path, help="drugbank vocabulary.csv")
    parser.add_argument("--dmd", type=Path, nargs="*", default=[], help="dm+d codelist CSVs")
    parser.add_argument("--ban", type=Path, default=BAN_TABLE, help="the co- names table")
    parser.add_argument("--words", type=Path, nargs="*", default=[], help="English word lists")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    report = Report()
    rows = build(args.unii, args.drugbank, args.dmd, args.ban, args.words, report)
    write(rows, report, args.out)
    print(f"{len(rows)} rows, {len({r.normalised for r, _ in rows})} names -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
