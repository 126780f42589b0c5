"""Wilson and Clopper-Pearson intervals, checked against statsmodels."""

import pytest

from ldntrial.core.analysis.proportions import exact_interval, wilson_interval
from ldntrial.core.errors import InvalidValue

proportion = pytest.importorskip("statsmodels.stats.proportion")

CASES = [(0, 1), (0, 5), (1, 5), (3, 10), (5, 5), (7, 12), (0, 40), (39, 40), (150, 1000)]


@pytest.mark.parametrize(("events", "patients"), CASES)
@pytest.mark.parametrize("level", [0.95, 0.9])
def test_the_wilson_interval_is_statsmodels(events, patients, level):
    # Reference: statsmodels proportion_confint(events, patients, alpha, method="wilson")
    ref = proportion.proportion_confint(events, patients, alpha=1 - level, method="wilson")
    assert wilson_interval(events, patients, level) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize(("events", "patients"), CASES)
@pytest.mark.parametrize("level", [0.95, 0.9])
def test_the_exact_interval_is_clopper_pearson_as_in_statsmodels(events, patients, level):
    # Reference: statsmodels proportion_confint(events, patients, alpha, method="beta")
    ref = proportion.proportion_confint(events, patients, alpha=1 - level, method="beta")
    assert exact_interval(events, patients, level) == pytest.approx(ref, abs=1e-12)


def test_the_exact_interval_is_never_narrower_than_wilson_here():
    for events, patients in CASES:
        w, e = wilson_interval(events, patients), exact_interval(events, patients)
        assert e[1] - e[0] >= w[1] - w[0] - 1e-12


@pytest.mark.parametrize(("events", "patients"), [(3, 2), (-1, 4), (1, 0), (1.5, 4), (True, 4)])
def test_impossible_counts_are_refused(events, patients):
    with pytest.raises(InvalidValue, match="whole counts"):
        wilson_interval(events, patients)
