"""Evidence pages, the summary on the patient's page, and the printable handout."""

import base64
import hashlib
import re


def test_the_evidence_list_shows_each_condition_with_its_certainty(world):
    body = world.client("dr_ode").get("/evidence/").content.decode()
    assert "Fibromyalgia" in body
    assert "very low" in body


def test_a_condition_page_links_every_study_to_its_record_and_source(world):
    body = world.client("rae").get("/evidence/fibromyalgia/").content.decode()
    assert 'id="certainty">low' in body
    assert 'id="study-bruun2024"' in body
    assert 'href="https://research.regionh.dk/' in body
    assert "hypotheses, not established" in body


def test_an_unknown_condition_page_is_not_found(world):
    assert world.client("dr_ode").get("/evidence/gout/").status_code == 404


def test_the_patients_page_shows_the_evidence_and_the_handout_links(world):
    body = world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/").content.decode()
    assert "certainty <strong>low</strong>" in body
    assert f"/clinic/patients/{world.ana.pk}/handout/fibromyalgia.pdf" in body


def test_the_trial_form_shows_the_evidence(world):
    body = (
        world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/trials/new/").content.decode()
    )
    assert "evidence-summary" in body
    assert "Largest trial" in body


def test_the_handout_prints_as_a_pdf(world):
    response = world.client("dr_ode").get(
        f"/clinic/patients/{world.ana.pk}/handout/fibromyalgia.pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_handout_names_the_patient_and_is_only_for_their_conditions(world):
    client = world.client("dr_ode")
    html = client.get(f"/clinic/patients/{world.ana.pk}/handout/fibromyalgia/").content.decode()
    assert "For: FM-0001" in html
    assert client.get(f"/clinic/patients/{world.ana.pk}/handout/crps/").status_code == 404


def test_patients_and_pharmacists_do_not_get_the_clinicians_evidence_pages(world):
    assert world.client("ana_user").get("/evidence/").status_code == 403
    assert world.client("phil").get("/evidence/fibromyalgia/").status_code == 403


def test_the_handout_page_allows_its_one_stylesheet_by_its_hash_and_nothing_else_inline(world):
    response = world.client("dr_ode").get(f"/clinic/patients/{world.ana.pk}/handout/fibromyalgia/")
    html = response.content.decode()
    [style] = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    [style_src] = [
        d for d in response["Content-Security-Policy"].split(";") if "style-src" in d.split()
    ]
    assert style_src.split() == ["style-src", "'self'", f"'sha256-{digest}'"]
    assert not re.search(r"<script|\sstyle=|\son[a-z]+=", html)
