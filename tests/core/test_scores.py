import pytest

from ldntrial.core.errors import InvalidValue
from ldntrial.core.scores import Score


@pytest.mark.parametrize("value", [0, 5, 10])
def test_scores_from_0_to_10_are_accepted(value):
    assert int(Score(value)) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "score -1 is outside the scale: use 0 to 10"),
        (11, "score 11 is outside the scale: use 0 to 10"),
        (4.5, "a score must be a whole number from 0 to 10, not 4.5"),
        ("7", "not '7'"),
        (True, "not True"),
        (None, "not None"),
    ],
)
def test_a_score_refuses_values_off_the_scale(value, message):
    with pytest.raises(InvalidValue, match=message):
        Score(value)


def test_a_score_reads_as_points_out_of_ten():
    assert str(Score(3)) == "3/10"
