"""`ldntrial plan` refuses absurd dates and numbers in one line (exit 2), never a traceback.
The clock is frozen at 27 November 2026 (tests.conftest.NOW)."""

import pytest

from ldntrial.cli import main
from tests.conftest import NOW

PLAN = ["plan", "--condition", "fibromyalgia"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*PLAN, "--start", "9999-12-31"], "--start: the first baseline day 9999-12-31 is too far"),
        ([*PLAN, "--start", "0001-01-01"], "--start: the first baseline day 0001-01-01 is too far"),
        ([*PLAN, "--start", "1900-01-01"], "give a date from 2025-11-27 on"),
        ([*PLAN, "--interval", "99999999999"], "the days between steps must be between 1 and 365"),
        ([*PLAN, "--baseline-days", "99999999999"], "the baseline days must be between 1 and"),
    ],
)
def test_an_absurd_plan_is_one_line_with_exit_code_2(capsys, argv, message):
    code = main(argv, {}, now=NOW)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
