"""The researcher's registry pages: per condition, every trial counted, small cells hidden."""

from __future__ import annotations

import re

from django.test import override_settings

from ldntrial.core.registry.summaries import Completion
from ldntrial.web.registry import collect


def test_the_condition_page_shows_the_pooled_results_beside_the_published_evidence(registry):
    page = registry.world.client("rae").get("/research/fibromyalgia/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="published"' in body
    assert 'id="registry"' in body
    assert "Population mean change" in body
    assert "Intention to treat" in body
    assert "Completers" in body
    assert "Between-patient SD" in body
    assert "Predicted share of responders" in body
    # The forest plot and the flow diagram are accessible images with a table beside them.
    assert body.count('role="img"') >= 2
    assert '<title id="forest-open_label-pain-title">' in body
    assert '<desc id="flow-open_label-pain-desc">' in body
    assert "Per-patient estimates (pseudonyms)" in body


def test_the_page_reveals_no_label_contact_or_fingerprint(registry):
    body = registry.world.client("rae").get("/research/fibromyalgia/").content.decode()
    for patient, trial in zip(registry.patients, registry.trials, strict=True):
        assert patient.label not in body
        assert patient.contact not in body
        assert trial.fingerprint not in body
    assert "SECRET" not in body


def flow_table(body: str) -> str:
    pain = body[body.index('id="stratum-open_label-pain"') :]
    return pain[pain.index('<table class="flow">') : pain.index("</table>")]


def test_the_flow_on_the_page_adds_up_to_the_trials_started(registry):
    with override_settings(LDNTRIAL_REGISTRY_MIN_CELL=2):
        body = registry.world.client("rae").get("/research/fibromyalgia/").content.decode()
    numbers = [int(n) for n in re.findall(r"<td>(\d+)</td>", flow_table(body))]
    started, cells = numbers[0], numbers[1:]
    # Clinic A: the registry's 8 patients and Ana's running fibromyalgia trial.
    assert started == 9
    assert len(cells) == 8  # completed, five stop reasons, lost, running
    assert sum(cells) == started


def test_a_small_cell_in_the_flow_is_hidden_with_its_neighbour(registry):
    """2 running trials beside 7 completed: hiding the 2 alone would give it away as 9 - 7."""
    body = registry.world.client("rae").get("/research/fibromyalgia/").content.decode()
    table = flow_table(body)
    assert "<td>9</td>" in table  # started is shown
    assert "<td>7</td>" not in table
    assert "<td>2</td>" not in table
    assert table.count("hidden (small number)") == 2


def test_small_cells_are_hidden_with_a_larger_minimum(registry):
    with override_settings(LDNTRIAL_REGISTRY_MIN_CELL=20):
        body = registry.world.client("rae").get("/research/fibromyalgia/").content.decode()
    assert "Population mean change" not in body
    assert "hidden: fewer than 20 trials started" in body or "fewer than 20" in body


def test_the_running_trial_is_counted_but_has_no_outcome(registry):
    records = collect.records(registry.world.clinic_a)
    statuses = [r.status for r in records]
    assert statuses.count(Completion.COMPLETED) == 7
    assert statuses.count(Completion.RUNNING) == 3  # one of the registry, Ana's and Ben's


def test_a_researcher_of_clinic_b_sees_nothing_of_clinic_a(registry):
    from ldntrial.web.accounts.models import Role
    from tests.web.conftest import make_user

    other = make_user(registry.world.clinic_b, "rex", Role.RESEARCHER)
    from tests.web.conftest import signed_in

    body = signed_in(other).get("/research/fibromyalgia/").content.decode()
    assert "Population mean change" not in body


def test_an_unknown_condition_is_not_found(registry):
    assert registry.world.client("rae").get("/research/no-such-thing/").status_code == 404
