"""Reassessment in the web app: the report, signing with the password, validity, the patient's
summary."""

import re
import subprocess
import uuid

import pytest
from django.utils.html import escape

from ldntrial.core.analysis.trial import analyse_trial
from ldntrial.reports.pdf import html_to_pdf
from ldntrial.web.accounts.models import User
from ldntrial.web.audit.models import AuditEvent
from ldntrial.web.clinic import services, views_reassessment
from ldntrial.web.clinic.models import Patient, Reassessment
from tests.web.conftest import PASSWORD

NEXT_REVIEW = "2026-12-27"  # a month after the frozen clock's today


@pytest.fixture
def due(world):
    return world.due_trial(seed=5)


def test_the_dashboard_links_a_due_trial_to_its_reassessment(world, due):
    body = world.client("dr_ode").get("/clinic/").content.decode()
    assert "due for reassessment" in body
    assert f"/clinic/trials/{due.pk}/reassessment/" in body


def test_the_report_shows_the_label_the_fingerprint_and_the_suggested_decision(world, due):
    body = world.client("dr_ode").get(f"/clinic/trials/{due.pk}/reassessment/").content.decode()
    assert "includes placebo response" in body
    assert due.fingerprint in body
    assert "Suggested by the protocol's rules: <strong>continue LDN</strong>" in body
    assert "Not yet signed by the clinician." in body


def test_signing_needs_the_password_again(world, due):
    client = world.client("dr_ode")
    response = client.post(
        f"/clinic/trials/{due.pk}/reassessment/",
        {"final_outcome": "continue", "password": "wrong password here"},
    )
    assert response.status_code == 400
    assert "That is not your password" in response.content.decode()
    assert not Reassessment.objects.exists()


def test_an_override_needs_a_reason(world, due):
    response = world.client("dr_ode").post(
        f"/clinic/trials/{due.pk}/reassessment/", {"final_outcome": "stop", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "give the reason" in response.content.decode()


def test_a_signed_decision_is_valid_audited_and_shown_to_the_patient(world, due):
    patient_client = world.client("ana_user")
    assert "will appear here" in patient_client.get("/me/summary/").content.decode()
    response = world.client("dr_ode").post(
        f"/clinic/trials/{due.pk}/reassessment/",
        {"final_outcome": "continue", "password": PASSWORD, "follow_up_on": NEXT_REVIEW},
    )
    assert response.status_code == 302
    item = Reassessment.objects.get()
    assert (item.suggested_outcome, item.final_outcome) == ("continue", "continue")
    assert AuditEvent.objects.filter(object_type="clinic.Reassessment").count() == 1
    body = world.client("dr_ode").get(f"/clinic/trials/{due.pk}/reassessment/").content.decode()
    assert "signature valid" in body
    summary = patient_client.get("/me/summary/").content.decode()
    assert "You and your clinician decided to continue LDN." in summary
    assert "This was not a blind test." in summary


def test_a_later_change_to_the_diary_shows_the_signature_as_invalid(world, due):
    # "adjust" keeps the trial active, so its diary can still change
    world.client("dr_ode").post(
        f"/clinic/trials/{due.pk}/reassessment/",
        {"final_outcome": "adjust", "override_reason": "a longer trial", "password": PASSWORD},
    )
    last = due.protocol().reassessment_date
    services.submit_diary(
        by=world.ana_user,
        trial=due,
        day=last,
        today=last,
        client_key=uuid.uuid4(),
        scores={"pain": 9, "sleep_quality": 5, "function": 5},
        dose_taken=True,
        dose_time=None,
        side_effects=[],
        correction_reason="late correction",
    )
    body = world.client("dr_ode").get(f"/clinic/trials/{due.pk}/reassessment/").content.decode()
    assert "INVALID: the signed content has changed since signing" in body
    assert "will appear here" in world.client("ana_user").get("/me/summary/").content.decode()


def test_the_report_downloads_as_a_pdf(world, due):
    response = world.client("dr_ode").get(f"/clinic/trials/{due.pk}/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_another_clinic_cannot_see_or_sign(world, due):
    client = world.client("dr_bo")
    assert client.get(f"/clinic/trials/{due.pk}/reassessment/").status_code == 404
    assert (
        client.post(
            f"/clinic/trials/{due.pk}/reassessment/",
            {"final_outcome": "stop", "password": PASSWORD},
        ).status_code
        == 404
    )
    assert not Reassessment.objects.exists()


# The page and the PDF show one report: the same partial, escaped the same way.

REPORT_BODY = re.compile(r'<article id="trial-report">.*?</article>', re.DOTALL)
PAYLOAD = "\"><script>alert('{}')</script>"


@pytest.fixture
def pdf_documents(monkeypatch):
    """The HTML documents the PDF view hands to WeasyPrint (which still renders each one)."""
    documents = []
    real = html_to_pdf

    def keeping(html):
        documents.append(html)
        return real(html)

    monkeypatch.setattr(views_reassessment, "html_to_pdf", keeping)
    return documents


def _pdf_characters(pdf, tmp_path):
    """The PDF's text without white space (lines wrap anywhere in a long heading)."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", "", text)


def test_the_page_and_the_pdf_show_the_same_report_body(world, due, pdf_documents):
    client = world.client("dr_ode")
    client.post(
        f"/clinic/trials/{due.pk}/reassessment/",
        {"final_outcome": "continue", "password": PASSWORD, "follow_up_on": NEXT_REVIEW},
    )
    page = client.get(f"/clinic/trials/{due.pk}/reassessment/").content.decode()
    client.get(f"/clinic/trials/{due.pk}/report.pdf")
    [document] = pdf_documents
    [page_body] = REPORT_BODY.findall(page)
    [pdf_body] = REPORT_BODY.findall(document)
    assert page_body == pdf_body
    assert "signature valid" in page_body
    assert "<body>" not in page_body


def test_a_script_typed_into_any_field_is_text_in_the_page_and_the_pdf(
    world, due, pdf_documents, tmp_path
):
    fields = ("label", "clinician", "reason", "note", "other", "instruction")
    typed = {f: PAYLOAD.format(f) for f in fields}
    Patient.objects.filter(pk=world.ana.pk).update(label=typed["label"])
    User.objects.filter(pk=world.dr_ode.pk).update(username=typed["clinician"])
    last = due.protocol().reassessment_date
    services.submit_diary(  # the patient's own words: not part of the report
        by=world.ana_user,
        trial=due,
        day=last,
        today=last,
        client_key=uuid.uuid4(),
        scores={"pain": 2, "sleep_quality": 5, "function": 5},
        dose_taken=True,
        dose_time=None,
        side_effects=["nausea"],
        side_effect_other=typed["other"],
        note=typed["note"],
        correction_reason="typed again",
    )
    client = world.client("dr_ode")
    signed = client.post(
        f"/clinic/trials/{due.pk}/reassessment/",
        {
            "final_outcome": "stop",
            "override_reason": typed["reason"],
            "stop_instruction": typed["instruction"],
            "follow_up_on": NEXT_REVIEW,
            "password": PASSWORD,
        },
    )
    assert signed.status_code == 302
    page = client.get(f"/clinic/trials/{due.pk}/reassessment/").content.decode()
    pdf = client.get(f"/clinic/trials/{due.pk}/report.pdf").content
    [document] = pdf_documents
    for html in (page, document):
        for field, text in typed.items():
            assert text not in html, field
        for field in ("label", "clinician", "reason"):
            assert escape(typed[field]) in html, field
    printed = _pdf_characters(pdf, tmp_path)
    for field in ("label", "clinician", "reason"):
        assert typed[field] in printed, field  # printed as the characters typed


# The analysis is computed once per state of the trial, and the signature holds what was signed.


@pytest.fixture
def counted(monkeypatch):
    """Count the analyses the web app runs (a fresh cache, then every call to the engine)."""
    from ldntrial.web.clinic import reassessment

    reassessment.clear_cache()
    calls = []
    real = analyse_trial

    def counting(protocol, observations):
        calls.append(protocol.fingerprint)
        return real(protocol, observations)

    monkeypatch.setattr(reassessment, "analyse_trial", counting)
    yield calls
    reassessment.clear_cache()


def test_a_page_view_analyses_the_trial_once_and_a_second_view_not_at_all(world, due, counted):
    client = world.client("dr_ode")
    assert client.get(f"/clinic/trials/{due.pk}/reassessment/").status_code == 200
    assert len(counted) == 1
    client.get(f"/clinic/trials/{due.pk}/reassessment/")
    client.get(f"/clinic/trials/{due.pk}/report.pdf")
    assert len(counted) == 1


def test_signing_and_showing_the_signed_page_reuse_the_same_analysis(world, due, counted):
    client = world.client("dr_ode")
    client.post(
        f"/clinic/trials/{due.pk}/reassessment/",
        {"final_outcome": "continue", "password": PASSWORD, "follow_up_on": NEXT_REVIEW},
        follow=True,
    )
    world.client("ana_user").get("/me/summary/")
    assert len(counted) == 1


def test_a_diary_change_is_a_new_state_analysed_once_more(world, due, counted):
    client = world.client("dr_ode")
    client.get(f"/clinic/trials/{due.pk}/reassessment/")
    last = due.protocol().reassessment_date
    services.submit_diary(
        by=world.ana_user,
        trial=due,
        day=last,
        today=last,
        client_key=uuid.uuid4(),
        scores={"pain": 9, "sleep_quality": 5, "function": 5},
        dose_taken=True,
        dose_time=None,
        side_effects=[],
        correction_reason="late correction",
    )
    client.get(f"/clinic/trials/{due.pk}/reassessment/")
    client.get(f"/clinic/trials/{due.pk}/reassessment/")
    assert len(counted) == 2


def test_the_signed_record_holds_the_whole_analysis_and_verifies_without_recomputing(
    world, due, counted
):
    from ldntrial.web.clinic import reassessment

    world.client("dr_ode").post(
        f"/clinic/trials/{due.pk}/reassessment/",
        {"final_outcome": "continue", "password": PASSWORD, "follow_up_on": NEXT_REVIEW},
    )
    item = Reassessment.objects.get()
    signed = item.content["analysis"]
    assert [m["metric"] for m in signed["metrics"]] == ["pain", "sleep_quality", "function"]
    assert signed["decision"]["outcome"] == "continue"
    assert "Titration days are left out" in signed["methods"]
    assert item.content["diary_sha256"] == reassessment.state_of(due).diary_hash
    reassessment.clear_cache()
    before = len(counted)
    assert reassessment.is_valid(item)
    assert len(counted) == before  # verification compares hashes, it does not re-analyse
    tampered = Reassessment.objects.get()
    tampered.content["analysis"]["decision"]["outcome"] = "stop"
    assert not reassessment.is_valid(tampered)
