"""Reading a diary CSV: all rows or none, with every bad row named."""

import pytest

from ldntrial.core.errors import InvalidValue
from ldntrial.interop.csv_io import read_diary

HEAD = "date,pain,sleep_quality,function,dose_taken,side_effects\n"


def test_a_good_diary_is_read(protocol):
    rows = read_diary(
        HEAD + "2026-11-28,6,5,4,,\n2026-12-12,5,6,5,yes,vivid_dreams;insomnia\n", protocol
    )
    assert [r.values["pain"] for r in rows] == [6.0, 5.0]
    assert rows[1].dose_taken is True
    assert rows[1].side_effects == {"vivid_dreams", "insomnia"}


def test_a_missing_value_is_simply_absent(protocol):
    (row,) = read_diary(HEAD + "2026-11-28,,5,4,,\n", protocol)
    assert "pain" not in row.values


def test_every_bad_row_is_reported_by_number_and_nothing_is_read(protocol):
    text = HEAD + (
        "2026-11-28,6,5,4,,\n"
        "28/11/2026,6,5,4,,\n"
        "2026-11-29,11,5,4,,\n"
        "2026-11-30,6,5,4,maybe,\n"
        "2026-12-01,6,5,4,,hiccups\n"
        "2026-11-28,6,5,4,,\n"
    )
    with pytest.raises(InvalidValue) as refused:
        read_diary(text, protocol)
    message = str(refused.value)
    assert message.startswith("the diary was not read: row 3: date '28/11/2026' is not YYYY-MM-DD")
    assert "row 4: pain '11' is not a whole number from 0 to 10" in message
    assert "row 5: dose_taken 'maybe' must be yes, no or empty" in message
    assert "row 6: side effect 'hiccups' is not one of" in message
    assert "row 7: 2026-11-28 appears twice" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("day,pain\n", "needs a 'date' column"),
        ("date,pain,colour\n2026-11-28,5,red\n", "unknown column(s) colour"),
        ("date,dose_taken\n2026-11-28,yes\n", "has no metric column"),
        (HEAD, "has no rows"),
    ],
)
def test_a_malformed_file_says_what_is_wrong(protocol, text, message):
    with pytest.raises(InvalidValue, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_diary(text, protocol)
