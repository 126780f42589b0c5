"""The web app's command-line jobs: createadmin, demo, totp-code."""

import pytest

from ldntrial.cli import main
from ldntrial.web.accounts.models import Clinic, Role, User
from ldntrial.web.audit.chain import verify
from ldntrial.web.clinic.models import DiaryEntry, Patient, Prescription, Trial
from tests.conftest import NOW

GOOD = "a long and unusual passphrase"


@pytest.mark.django_db
def test_createadmin_makes_the_clinic_and_its_admin(capsys):
    code = main(
        ["createadmin", "--clinic", "North Clinic", "--username", "north-admin"],
        {"LDNTRIAL_ADMIN_PASSWORD": GOOD},
        now=NOW,
    )
    out = capsys.readouterr().out
    user = User.objects.get(username="north-admin")
    assert code == 0
    assert "Created clinic admin north-admin for North Clinic" in out
    assert (user.role, user.clinic.name) == (Role.CLINIC_ADMIN, "North Clinic")
    assert user.check_password(GOOD)
    assert verify() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "This password is too short"), ("password1234", "This password is too common")],
)
def test_createadmin_refuses_weak_passwords(capsys, password, message):
    code = main(
        ["createadmin", "--clinic", "C", "--username", "admin"],
        {"LDNTRIAL_ADMIN_PASSWORD": password},
        now=NOW,
    )
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert not User.objects.exists()


@pytest.mark.django_db
def test_createadmin_without_a_terminal_or_password_says_how(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code = main(["createadmin", "--clinic", "C", "--username", "admin"], {}, now=NOW)
    assert code == 2
    assert "set LDNTRIAL_ADMIN_PASSWORD" in capsys.readouterr().err


@pytest.mark.django_db
def test_createadmin_refuses_a_taken_username(capsys):
    env = {"LDNTRIAL_ADMIN_PASSWORD": GOOD}
    main(["createadmin", "--clinic", "C", "--username", "admin"], env, now=NOW)
    assert main(["createadmin", "--clinic", "D", "--username", "admin"], env, now=NOW) == 2
    assert "the username 'admin' is taken" in capsys.readouterr().err


@pytest.mark.django_db
def test_demo_fills_a_clinic_with_trials_in_every_phase(capsys):
    assert main(["demo"], {}, now=NOW) == 0
    out = capsys.readouterr().out
    clinic = Clinic.objects.get(is_demo=True)
    assert "demo-clinician" in out
    assert "second-step key" in out
    assert Patient.objects.filter(clinic=clinic).count() == 6
    assert Trial.objects.filter(clinic=clinic, status="active").count() == 4
    assert Trial.objects.filter(clinic=clinic, status="draft").count() == 1
    assert DiaryEntry.objects.filter(clinic=clinic).count() > 100
    assert Prescription.objects.filter(clinic=clinic, status="dispensed").count() >= 2
    assert verify() == []
    assert main(["demo"], {}, now=NOW) == 2
    assert "the demo clinic exists already" in capsys.readouterr().err


@pytest.mark.django_db
def test_demo_stages_cover_baseline_to_reassessment(world):
    from ldntrial.web.clinic.queries import status_of

    main(["demo"], {}, now=NOW)
    stages = {
        status_of(t, t.protocol()).stage.value
        for t in Trial.objects.filter(clinic__is_demo=True, status="active")
    }
    assert stages == {"baseline", "titration", "maintenance", "due_for_reassessment"}


@pytest.mark.django_db
def test_totp_code_works_for_demo_staff_only(capsys, world):
    main(["demo"], {}, now=NOW)
    capsys.readouterr()
    assert main(["totp-code", "demo-clinician"], {}, now=NOW) == 0
    assert capsys.readouterr().out.strip().isdigit()
    assert main(["totp-code", "dr-ode"], {}, now=NOW) == 2
    assert "is not a demo staff account" in capsys.readouterr().err


@pytest.mark.django_db
def test_the_demo_trial_due_for_reassessment_can_be_reassessed(world):
    from ldntrial.web.clinic.reassessment import assess

    main(["demo"], {}, now=NOW)
    trial = Trial.objects.get(patient__label="DEMO-04")
    assessment = assess(trial)
    assert assessment.analysis.primary.effect_mean is not None
    assert assessment.decision.outcome.value in ("continue", "adjust", "stop")
    client = world.client("dr_ode")  # clinic A cannot see the demo clinic's trial
    assert client.get(f"/clinic/trials/{trial.pk}/reassessment/").status_code == 404
