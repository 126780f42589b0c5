"""The evidence summaries of the shipped data, and every number the records can give."""

import re

from ldntrial import data
from ldntrial.core.evidence.summary import Summary, summarise


def summary(condition: str) -> Summary:
    return summarise(
        condition,
        library=data.studies(),
        conditions=data.conditions(),
        context=data.evidence_context(),
    )


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")


def numbers_in_records(condition: str) -> set[str]:
    """Every number that a record, the context or the grading of this condition can give."""
    s = summary(condition)
    text = " ".join(
        str(value)
        for study in data.studies().studies.values()
        for value in (study.__dict__.values())
    )
    text += " " + repr(data.evidence_context()) + " " + repr(data.ldn_profile())
    found = set(NUMBER.findall(text))
    found |= {str(s.participants_randomised), str(len(s.trials)), str(len(s.other_studies))}
    for d in s.grade.downgrades:
        found |= set(NUMBER.findall(d.reason))
    for study in s.trials:
        if study.responders:
            for arm in (study.responders.ldn, study.responders.comparator):
                freq = arm.natural_frequency()
                if freq:
                    found |= {str(freq[0]), str(freq[1])}
    return found
