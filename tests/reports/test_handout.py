"""The patient handout: plain words, key numbers, the opioid warning, a PDF, reading level."""

import re
import subprocess

import pytest
import textstat
from django.utils.html import escape

from ldntrial import data
from ldntrial.reports.handout import handout_css, handout_html, handout_text
from ldntrial.reports.pdf import html_to_pdf
from tests.core.evidence.builders import NUMBER, numbers_in_records, summary


def test_the_fibromyalgia_handout_gives_the_largest_trial_in_natural_frequencies():
    text = handout_text(summary("fibromyalgia"), data.ldn_profile())
    assert "The largest trial (FINAL) had 99 people." in text
    assert (
        "about 22 out of 49 people on LDN and about 14 out of 50 people on a dummy pill had "
        "more than 30% pain reduction"
    ) in text
    assert "The evidence is weak." in text


def test_a_condition_without_trials_says_so():
    text = handout_text(summary("crps"), data.ldn_profile())
    assert (
        "There are no trials that compare LDN with a dummy pill (placebo) in complex "
        "regional pain syndrome"
    ) in text
    assert "The evidence is very weak." in text


@pytest.mark.parametrize("condition", ["fibromyalgia", "crps", "crohns_disease", "long_covid"])
def test_the_handout_reads_at_about_grade_8_or_easier(condition):
    text = handout_text(summary(condition), data.ldn_profile())
    assert textstat.flesch_kincaid_grade(text) <= 8.5


@pytest.mark.parametrize("condition", ["fibromyalgia", "crps"])
def test_every_number_in_the_handout_traces_to_a_record(condition):
    text = handout_text(summary(condition), data.ldn_profile())
    untraced = set(NUMBER.findall(text)) - numbers_in_records(condition)
    assert untraced == set()


def test_the_handout_warns_about_opioids():
    html = handout_html(summary("fibromyalgia"), data.ldn_profile(), patient_label="FM-0001")
    assert "Naltrexone blocks opioid medicines" in html
    assert "For: FM-0001" in html


def test_the_handout_pdf_renders_with_the_key_numbers_and_the_warning(tmp_path):
    pdf = html_to_pdf(handout_html(summary("fibromyalgia"), data.ldn_profile()))
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "handout.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", " ", text)
    assert "22 out of 49" in flat
    assert "14 out of 50" in flat
    assert "Naltrexone blocks opioid medicines" in flat


def test_a_script_in_the_patient_label_is_text_in_the_handout():
    label = "\"><script>alert('label')</script>"
    html = handout_html(summary("fibromyalgia"), data.ldn_profile(), patient_label=label)
    assert label not in html
    assert f"For: {escape(label)}" in html
    assert "<script" not in html


def test_the_handout_holds_its_stylesheet_as_handout_css_gives_it():
    html = handout_html(summary("crps"), data.ldn_profile())
    assert re.findall(r"<style>(.*?)</style>", html, re.DOTALL) == [handout_css()]
    assert '"DejaVu Sans"' in handout_css()  # the stylesheet is not escaped as text
