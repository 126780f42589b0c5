from decimal import Decimal

import pytest

from ldntrial.core.doses import Dose, DoseRange
from ldntrial.core.errors import InvalidValue


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "dose 0 mg is not possible: a dose must be more than 0 mg"),
        (-1.5, "dose -1.5 mg is not possible"),
        ("nan", "must be a finite number"),
        (float("inf"), "must be a finite number"),
        ("Infinity", "must be a finite number"),
        (51, "dose 51 mg is not a low dose: ldntrial accepts more than 0 mg and at most 50 mg"),
        (4500, "is not a low dose"),
        ("1.5mg", "'1.5mg' is not a number: give milligrams, for example 1.5"),
        ("", "is not a number"),
        (True, "must be a number of milligrams, not True"),
        ("0.0005", "finer than 1 microgram"),
    ],
)
def test_a_dose_refuses_impossible_and_absurd_values(value, message):
    with pytest.raises(InvalidValue, match=message.replace("(", r"\(").replace(")", r"\)")):
        Dose(value)


@pytest.mark.parametrize(
    ("value", "mg", "text"),
    [
        (1.5, Decimal("1.5"), "1.5 mg"),
        ("4.50", Decimal("4.5"), "4.5 mg"),
        (3, Decimal(3), "3 mg"),
        (Decimal("0.75"), Decimal("0.75"), "0.75 mg"),
        (50, Decimal(50), "50 mg"),
    ],
)
def test_a_dose_keeps_exact_milligrams(value, mg, text):
    dose = Dose(value)
    assert dose.mg == mg
    assert str(dose) == text


def test_doses_compare_by_amount_whatever_the_spelling():
    assert Dose("1.50") == Dose(1.5)
    assert Dose(3) > Dose("1.5")
    assert len({Dose("4.5"), Dose(4.5), Dose("4.50")}) == 1


def test_a_dose_knows_whether_it_is_inside_a_range(profile):
    assert Dose(1.5).within(profile.usual_start)
    assert not Dose(3).within(profile.usual_start)


def test_a_backwards_dose_range_is_refused():
    with pytest.raises(InvalidValue, match="runs backwards"):
        DoseRange(Dose(3), Dose(1))
