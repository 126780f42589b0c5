"""Reading a diary from CSV, all or nothing: every bad row is reported by number.

Format (UTF-8, a header row, one row per day):

    date,pain,sleep_quality,function,dose_taken,side_effects
    2027-01-04,6,5,4,,
    2027-01-18,5,6,5,yes,vivid_dreams;insomnia

- ``date``: YYYY-MM-DD, each date at most once;
- one column per metric of the protocol, a whole number from 0 to 10, or empty when not recorded;
- ``dose_taken`` (optional): yes, no, or empty (empty during the baseline);
- ``side_effects`` (optional): names from the diary checklist separated by ``;``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from ldntrial.core.analysis.trial import Observation
from ldntrial.core.errors import InvalidValue
from ldntrial.core.trial.diary import SideEffect
from ldntrial.core.trial.protocol import Protocol

OPTIONAL = ("dose_taken", "side_effects")
MAX_ERRORS_SHOWN = 10


def read_diary(text: str, protocol: Protocol) -> list[Observation]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    metrics = [m.key for m in protocol.metrics]
    if "date" not in header:
        raise InvalidValue("the diary CSV needs a 'date' column (YYYY-MM-DD)")
    unknown = [h for h in header if h not in ("date", *metrics, *OPTIONAL)]
    if unknown:
        raise InvalidValue(
            f"unknown column(s) {', '.join(unknown)}: the columns are date, "
            f"{', '.join(metrics)}, {', '.join(OPTIONAL)}"
        )
    if not any(m in header for m in metrics):
        raise InvalidValue(f"the diary CSV has no metric column ({', '.join(metrics)})")
    rows: list[Observation] = []
    errors: list[str] = []
    seen: set[dt.date] = set()
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        try:
            rows.append(_row(row, metrics, seen))
        except InvalidValue as error:
            errors.append(f"row {number}: {error}")
    if errors:
        shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
        more = (
            f" (and {len(errors) - MAX_ERRORS_SHOWN} more)"
            if len(errors) > MAX_ERRORS_SHOWN
            else ""
        )
        raise InvalidValue(f"the diary was not read: {shown}{more}")
    if not rows:
        raise InvalidValue("the diary CSV has no rows")
    return rows


def _row(row: dict[str, str], metrics: list[str], seen: set[dt.date]) -> Observation:
    try:
        day = dt.date.fromisoformat(row.get("date", ""))
    except ValueError:
        raise InvalidValue(f"date {row.get('date')!r} is not YYYY-MM-DD") from None
    if day in seen:
        raise InvalidValue(f"{day.isoformat()} appears twice")
    seen.add(day)
    values: dict[str, float] = {}
    for key in metrics:
        text = row.get(key, "")
        if text == "":
            continue
        if not text.isdigit() or not 0 <= int(text) <= 10:
            raise InvalidValue(f"{key} {text!r} is not a whole number from 0 to 10")
        values[key] = float(text)
    taken_text = row.get("dose_taken", "").lower()
    if taken_text not in ("", "yes", "no"):
        raise InvalidValue(f"dose_taken {taken_text!r} must be yes, no or empty")
    taken = None if taken_text == "" else taken_text == "yes"
    effects = set()
    for name in filter(None, (e.strip() for e in row.get("side_effects", "").split(";"))):
        try:
            effects.add(SideEffect(name).value)
        except ValueError:
            known = ", ".join(e.value for e in SideEffect)
            raise InvalidValue(f"side effect {name!r} is not one of {known}") from None
    return Observation(day, values, taken, frozenset(effects))
