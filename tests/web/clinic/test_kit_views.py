"""The pharmacy's kit pages of a blinded trial: the preparation sheet (the one place that says
which kit holds LDN), dispensing each kit once, the labels (alike whatever the kit holds), the
unblinding notice; and the kits on the clinician's trial page, without any arm.

Ana's trial is a blinded trial started 30 days ago: its six kits are all still to come.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import RequestFactory

from ldntrial.core.trial.blinded import Arm
from ldntrial.core.trial.kits import kit_list
from ldntrial.core.trial.randomisation import unseal
from ldntrial.web import keys
from ldntrial.web.accounts.models import Role
from ldntrial.web.audit.models import Action, AuditEvent
from ldntrial.web.clinic import blinded
from ldntrial.web.clinic.models import (
    BlindedAllocation,
    KitDispensing,
    Trial,
    Unblinding,
    UnblindingKind,
)
from tests.web.conftest import FROZEN_AT, World, make_user, signed_in

TODAY = FROZEN_AT.date()  # 2026-11-27 in London
ARM_WORDS = {Arm.ACTIVE: "LDN (active)", Arm.PLACEBO: "Placebo"}
# What would give a kit's content away on a page the care team (or a patient) reads.
ARM_TELLS = ("active", "placebo", "ldn", "naltrexone", "no_capsule", "no capsule")


@pytest.fixture
def trial(world: World) -> Trial:
    return world.blinded_trial(days_ago=30)


def kits_url(trial: Trial, suffix: str = "") -> str:
    return f"/pharmacy/trials/{trial.pk}/kits/{suffix}"


def sealed_kit_arms(trial: Trial) -> tuple[Arm, ...]:
    """What the pharmacy holds, opened here directly (not through the pages under test)."""
    row = BlindedAllocation.objects.get(trial=trial)
    key = keys.ring(keys.Purpose.ALLOCATION).get(row.key_id)
    assert key is not None
    return unseal(bytes(row.sealed), key, expected_commitment=row.commitment).kit_arms()


def last_day(trial: Trial, kit: int) -> dt.date:
    return kit_list(trial.original_protocol()).kits[kit - 1].last


def dispense_form(trial: Trial, **overrides: str) -> dict[str, str]:
    form = {
        "kit": "1",
        "lot": "K1-2611",
        "use_by": (TODAY + dt.timedelta(days=150)).isoformat(),
        "dispensed_on": TODAY.isoformat(),
    }
    form.update(overrides)
    return form


def section(body: str, ident: str) -> str:
    found = re.search(rf'<section id="{ident}".*?</section>', body, re.S)
    assert found, f"no section {ident}"
    return found.group(0)


def reads_of_the_allocation() -> int:
    return AuditEvent.objects.filter(
        action=Action.READ, object_type="clinic.BlindedAllocation"
    ).count()


# The preparation sheet.


def test_the_pharmacist_sees_which_kit_holds_what_as_the_sealed_allocation_says(world, trial):
    response = world.client("phil").get(kits_url(trial))
    assert response.status_code == 200
    body = response.content.decode()
    shown = re.findall(r'<td class="arm">(.*?)</td>', body)
    assert shown == [ARM_WORDS[arm] for arm in sealed_kit_arms(trial)]
    assert shown.count("LDN (active)") == shown.count("Placebo") == 3
    assert "naltrexone 4.5 mg per capsule in microcrystalline cellulose" in body
    assert "placebo: microcrystalline cellulose only, no naltrexone" in body
    assert "Active and placebo capsules are identical: size 0, opaque white shell" in body
    capsules = kit_list(trial.original_protocol()).kits[0].capsules
    assert body.count(f"<td>{capsules}</td>") == 6


def test_reading_the_sheet_is_audited_as_a_read_of_the_allocation(world, trial):
    before = reads_of_the_allocation()
    world.client("phil").get(kits_url(trial))
    world.client("phil").get(kits_url(trial, "sheet/"))
    events = AuditEvent.objects.filter(
        action=Action.READ, object_type="clinic.BlindedAllocation"
    ).order_by("-sequence")
    assert events.count() == before + 2
    latest = events.first()
    assert latest is not None
    assert latest.actor == world.phil
    assert latest.patient_id == world.ana.pk
    assert latest.reason == "blinded allocation read by the pharmacy"


def test_the_printable_sheet_lists_every_kit_with_its_content(world, trial):
    body = world.client("phil").get(kits_url(trial, "sheet/")).content.decode()
    shown = re.findall(r'<td class="arm">(.*?)</td>', body)
    assert shown == [ARM_WORDS[arm] for arm in sealed_kit_arms(trial)]
    assert "Pharmacy only" in body


# Who may open the pharmacy's kit pages.


@pytest.mark.parametrize("caller", ["dr_ode", "ana_user", "rae", "ada"])
@pytest.mark.parametrize("suffix", ["", "labels/", "sheet/"])
def test_no_one_but_the_pharmacy_opens_the_kit_pages(world, trial, caller, suffix):
    client = world.client(caller)
    assert client.get(kits_url(trial, suffix)).status_code == 403
    assert client.post(kits_url(trial), dispense_form(trial)).status_code == 403
    assert client.post(f"/pharmacy/trials/{trial.pk}/unblinding/seen/").status_code == 403
    assert not KitDispensing.objects.exists()


@pytest.mark.parametrize("suffix", ["", "labels/", "sheet/"])
def test_another_clinic_s_pharmacist_finds_no_such_trial(world, trial, suffix):
    pia = signed_in(make_user(world.clinic_b, "pia", Role.PHARMACIST))
    response = pia.get(kits_url(trial, suffix))
    assert response.status_code == 404
    assert "FM-0001" not in response.content.decode()
    assert pia.post(kits_url(trial), dispense_form(trial)).status_code == 404
    assert not KitDispensing.objects.exists()


def test_an_open_label_trial_has_no_kit_pages(world):
    assert world.client("phil").get(kits_url(world.ben_trial)).status_code == 404


# Dispensing.


def test_a_dispensed_kit_is_recorded_with_its_lot_and_leaves_the_forms(world, trial):
    client = world.client("phil")
    response = client.post(kits_url(trial), dispense_form(trial, kit="2", lot="K2-2611"))
    assert response.status_code == 302
    row = KitDispensing.objects.get(trial=trial)
    assert (row.kit, row.lot, row.dispensed_on) == (2, "K2-2611", TODAY)
    assert row.use_by == TODAY + dt.timedelta(days=150)
    assert row.dispensed_by == world.phil
    event = AuditEvent.objects.get(object_type="clinic.KitDispensing", object_id=str(row.pk))
    assert event.action == Action.CREATE
    assert event.reason == "kit 2 dispensed"
    body = client.get(kits_url(trial)).content.decode()
    assert "Kit 2 recorded as dispensed." in body
    assert 'id="dispense-kit-2"' not in body
    assert 'id="dispense-kit-1"' in body
    assert f"{TODAY.isoformat()} by phil" in body


def test_a_second_submission_is_told_the_kit_is_dispensed_already(world, trial):
    client = world.client("phil")
    assert client.post(kits_url(trial), dispense_form(trial)).status_code == 302
    again = client.post(kits_url(trial), dispense_form(trial, lot="K1-OTHER"))
    assert again.status_code == 400
    assert "kit 1 is dispensed already" in again.content.decode()
    assert KitDispensing.objects.get(trial=trial).lot == "K1-2611"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lot": "  "}, "enter the lot number printed on the kit 1"),
        ({"use_by": ""}, "enter the use-by date printed on the kit 1"),
        ({"use_by": "2026-13-45"}, "Enter a valid date."),
        ({"dispensed_on": "yesterday"}, "Enter a valid date."),
        ({"kit": "99"}, "there is no kit 99: this trial&#x27;s kits are 1 to 6"),
        ({"kit": "one"}, "Enter a whole number."),
        ({"dispensed_on": "2099-01-01"}, "the dispensing date cannot be in the future"),
    ],
)
def test_bad_input_is_answered_with_its_message_and_stores_nothing(
    world, trial, overrides, message
):
    response = world.client("phil").post(kits_url(trial), dispense_form(trial, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not KitDispensing.objects.exists()


def test_a_use_by_date_before_the_kit_s_last_day_is_refused(world, trial):
    last = last_day(trial, 3)
    early = last - dt.timedelta(days=1)
    response = world.client("phil").post(
        kits_url(trial), dispense_form(trial, kit="3", use_by=early.isoformat())
    )
    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    assert (
        f"use by {early.isoformat()} is before the last day of kit 3 ({last.isoformat()})" in body
    )
    assert not KitDispensing.objects.exists()


def test_one_lot_on_two_kits_is_refused_because_the_care_team_sees_lots(world, trial):
    client = world.client("phil")
    client.post(kits_url(trial), dispense_form(trial, kit="1", lot="BATCH-7"))
    response = client.post(kits_url(trial), dispense_form(trial, kit="2", lot="BATCH-7"))
    assert response.status_code == 400
    assert "lot BATCH-7 is already on another kit of this trial" in response.content.decode()
    assert list(KitDispensing.objects.values_list("kit", flat=True)) == [1]


# The labels.


def test_the_labels_are_alike_for_every_kit_but_its_number_and_dates(world, trial):
    before = reads_of_the_allocation()
    response = world.client("phil").get(kits_url(trial, "labels/"))
    assert response.status_code == 200
    body = response.content.decode()
    labels = re.findall(r'<pre class="label">(.*?)</pre>', body, re.S)
    kits = kit_list(trial.original_protocol()).kits
    assert len(labels) == len(kits) == 6
    stripped = {
        label.replace(f"Kit {kit.number} of", "Kit N of")
        .replace(kit.first.isoformat(), "FIRST")
        .replace(kit.last.isoformat(), "LAST")
        for label, kit in zip(labels, kits, strict=True)
    }
    assert len(stripped) == 1
    assert "naltrexone 4.5 mg or placebo" in stripped.pop()
    for tell in ("active", "no naltrexone", "mg per capsule", "Placebo"):
        assert tell not in body
    assert reads_of_the_allocation() == before  # the labels do not even open the allocation


# The clinician's trial page.


def test_the_clinician_s_trial_page_lists_the_kits_without_any_arm(world, trial):
    world.client("phil").post(kits_url(trial), dispense_form(trial))
    response = world.client("dr_ode").get(f"/clinic/trials/{trial.pk}/")
    assert response.status_code == 200
    kits = section(response.content.decode(), "kits")
    first = kit_list(trial.original_protocol()).kits[0]
    rows = re.findall(r'<tr data-kit="(\d+)">(.*?)</tr>', kits, re.S)
    assert [int(n) for n, _ in rows] == [1, 2, 3, 4, 5, 6]
    assert f"<td>{first.first.isoformat()}</td><td>{first.last.isoformat()}</td>" in rows[0][1]
    assert f"<td>{first.capsules}</td>" in rows[0][1]
    assert f"{TODAY.isoformat()} · lot K1-2611" in rows[0][1]
    assert all("not yet" in cells for _, cells in rows[1:])
    for tell in ARM_TELLS:
        assert tell not in kits.lower(), tell


def test_an_open_label_trial_page_has_no_kits(world):
    body = world.client("dr_ode").get(f"/clinic/trials/{world.ben_trial.pk}/").content.decode()
    assert 'id="kits"' not in body


# The queue.


def test_the_queue_counts_each_blinded_trial_s_dispensed_kits(world, trial):
    client = world.client("phil")
    client.post(kits_url(trial), dispense_form(trial))
    body = client.get("/pharmacy/").content.decode()
    table = re.search(r'<table id="blinded-trials">.*?</table>', body, re.S)
    assert table is not None
    assert f'href="/pharmacy/trials/{trial.pk}/kits/">FM-0001</a>' in table.group(0)
    second = kit_list(trial.original_protocol()).kits[1]
    assert f"<td>1 of 6</td><td>kit 2, taken from {second.first.isoformat()}</td>" in table.group(0)
    assert "CR-0002" not in table.group(0)  # Ben's trial is open-label


def unblinded(world: World) -> Trial:
    """Ana's blinded trial started 130 days ago, past its last period, unblinded as planned."""
    trial = world.blinded_trial(days_ago=130)
    blinded.unblind(
        by=world.dr_ode,
        trial=trial,
        kind=UnblindingKind.PLANNED,
        reason="",
        password="",
        token="",
        request=RequestFactory().post("/"),
        today=TODAY,
    )
    return trial


def test_an_unblinding_is_on_the_queue_until_the_pharmacy_has_seen_it(world):
    trial = unblinded(world)
    client = world.client("phil")
    body = client.get("/pharmacy/").content.decode()
    assert f"Trial of patient FM-0001 unblinded (planned) on {TODAY.isoformat()}" in body
    response = client.post(f"/pharmacy/trials/{trial.pk}/unblinding/seen/")
    assert response.status_code == 302
    row = Unblinding.objects.get(trial=trial)
    assert row.pharmacy_seen_at is not None
    event = AuditEvent.objects.get(
        object_type="clinic.Unblinding", object_id=str(row.pk), action=Action.UPDATE
    )
    assert event.actor == world.phil
    assert event.reason == "unblinding seen by the pharmacy"
    assert event.after is not None
    assert set(event.after) == {"trial", "kind", "pharmacy_seen_at"}
    body = client.get("/pharmacy/").content.decode()
    assert "unblinded (planned)" not in body
    client.post(f"/pharmacy/trials/{trial.pk}/unblinding/seen/")  # a second press
    assert AuditEvent.objects.filter(object_type="clinic.Unblinding").count() == 2


def test_the_kits_page_of_an_unblinded_trial_says_so(world):
    trial = unblinded(world)
    body = world.client("phil").get(kits_url(trial)).content.decode()
    assert f"This trial was unblinded (planned) on {TODAY.isoformat()}." in body


def test_acknowledging_a_trial_that_is_not_unblinded_says_there_is_nothing_to_see(world, trial):
    client = world.client("phil")
    response = client.post(f"/pharmacy/trials/{trial.pk}/unblinding/seen/", follow=True)
    assert response.status_code == 200
    assert "this trial is not unblinded: there is nothing to acknowledge" in (
        response.content.decode()
    )
