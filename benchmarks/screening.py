"""Screening benchmarks: loading the vendored vocabulary and screening a typical list."""

from __future__ import annotations

import gzip
from importlib import resources

from benchmarks.timing import best
from ldntrial import data
from ldntrial.core.screening.screen import screen
from ldntrial.core.screening.text import normalise
from ldntrial.core.screening.vocabulary import parse_vocabulary

TYPICAL_LIST = [
    "Lyrica 75mg bd",
    "amitriptyline 10mg nocte",
    "Cymbalta 60",
    "naproxen 500 prn",
    "paracetamol 1g qds",
    "omeprazole 20mg",
    "vitamin D 1000 IU",
    "melatonin 3mg",
    "zolpidem 5mg",
    "baclofen 10mg tds",
    "Tylenol #3 1 tab prn",
    "oxycodne 5mg",
]


def bench_vocabulary() -> tuple[str, float, float]:
    """Parsing the vendored vocabulary vs only decompressing and splitting its lines."""
    packed = resources.files("ldntrial.data").joinpath(data.VOCABULARY).read_bytes()

    def ours() -> object:
        return parse_vocabulary(gzip.decompress(packed).decode().splitlines())

    def reference() -> object:
        return [line.split("\t") for line in gzip.decompress(packed).decode().splitlines()]

    return (
        "load the vocabulary (140k rows) / gunzip + split its rows",
        best(ours, 1),
        best(reference, 1),
    )


def bench_screen() -> tuple[str, float, float]:
    """Screening a 12-line chronic-pain list (warm matcher) vs only normalising the lines."""
    matcher, rules = data.matcher(), data.screening_rules()
    screen(TYPICAL_LIST, matcher=matcher, rules=rules)  # builds the matcher's indexes once

    def ours() -> object:
        return screen(TYPICAL_LIST, matcher=matcher, rules=rules).verdict

    def reference() -> object:
        return [normalise(line) for line in TYPICAL_LIST]

    return (
        "screen a 12-line medicine list / normalise its lines",
        best(ours, 20),
        best(reference, 200),
    )
