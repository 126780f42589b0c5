"""``ldntrial registry export-summary`` and ``pool``: sites pool summaries, never raw diaries,
and get the answer of pooling every patient in one place; tampered or duplicated bundles are
refused with a clear message and exit 3."""

from __future__ import annotations

import json

import pytest

from ldntrial.cli import main
from ldntrial.cli.registry import stratum_json
from ldntrial.core.registry.analysis import analyse
from ldntrial.web.clinic import services
from ldntrial.web.registry.collect import patient_summaries
from tests.conftest import NOW
from tests.web.conftest import start_trial_for
from tests.web.registry.conftest import complete, fill_diary


@pytest.fixture
def two_sites(registry, tmp_path):
    """Clinic A (the registry world) as site "london" and clinic B as site "new-york", with
    five completed trials of its own; both sites' bundles and the coordinator's keys file."""
    world = registry.world
    for number in range(5):
        patient = services.create_patient(
            by=world.dr_bo,
            label=f"NY-{number:03d}",
            birth_year=1970,
            sex="male",
            conditions=["fibromyalgia"],
            time_zone="America/New_York",
        )
        trial = start_trial_for(patient, world.dr_bo, days_ago=100, condition="fibromyalgia")
        fill_diary(trial, seed=100 + number, drop=0.5 + 0.5 * number, by=world.dr_bo)
        complete(trial, world.dr_bo)
    files = {}
    for site, clinic in (("london", world.clinic_a), ("new-york", world.clinic_b)):
        out = tmp_path / f"{site}.json"
        args = ["registry", "export-summary", "--out", str(out), "--site-id", site]
        assert main([*args, "--clinic", clinic.name], {}, now=NOW) == 0
        key = tmp_path / f"{site}.key"
        assert (
            main(["registry", "site-key", "--out", str(key), "--site-id", site], {}, now=NOW) == 0
        )
        files[site] = out
    keys = tmp_path / "keys"
    keys.write_text("".join((tmp_path / f"{s}.key").read_text() for s in files))
    return files, keys


def pool(capsys, *args):
    code = main(["registry", "pool", *map(str, args)], {}, now=NOW)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_pooling_two_sites_equals_pooling_every_patient_in_one_place(two_sites, capsys):
    files, keys = two_sites
    code, out, _ = pool(capsys, files["london"], files["new-york"], "--keys", keys, "--json")
    assert code == 0
    federated = json.loads(out)
    in_one_place = [stratum_json(r) for r in analyse(patient_summaries(None))]
    assert federated == in_one_place
    pain = next(s for s in federated if (s["condition"], s["metric"]) == ("fibromyalgia", "pain"))
    assert pain["completers"]["patients"] == 12  # 7 in London and 5 in New York
    assert pain["flow"]["started"] == 12 + 2 + 1  # and the running trials of both clinics


def test_the_bundle_holds_summaries_only(two_sites):
    files, _ = two_sites
    bundle = json.loads(files["london"].read_text())
    assert bundle["site_id"] == "london"
    assert len(bundle["protocol_fingerprints"]) >= 1
    text = files["london"].read_text()
    assert "ZEBRA-LABEL" not in text
    assert "SECRET" not in text
    assert "scores" not in text  # no diary day
    assert files["london"].stat().st_mode & 0o077 == 0


def test_a_tampered_bundle_is_refused(two_sites, capsys, tmp_path):
    files, keys = two_sites
    bundle = json.loads(files["new-york"].read_text())
    record = next(r for r in bundle["records"] if r["effect"] is not None)
    record["effect"] = -9.0  # a better result than the site measured
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(bundle))
    code, out, err = pool(capsys, files["london"], forged, "--keys", keys)
    assert code == 3
    assert "site 'new-york' fails its signature check" in err
    assert out == ""
    assert "Traceback" not in err


def test_the_same_bundle_twice_is_refused(two_sites, capsys):
    files, keys = two_sites
    code, _, err = pool(capsys, files["london"], files["london"], "--keys", keys)
    assert code == 3
    assert "given twice" in err


def test_a_bundle_from_a_site_without_a_key_is_refused(two_sites, capsys, tmp_path):
    files, keys = two_sites
    only_london = tmp_path / "only-london"
    only_london.write_text(keys.read_text().splitlines()[0] + "\n")
    code, _, err = pool(capsys, files["london"], files["new-york"], "--keys", only_london)
    assert code == 3
    assert "no key is known for site 'new-york'" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not json", "must be UTF-8 JSON"), (b'{"format": "other"}', "not a site bundle")],
)
def test_a_file_that_is_not_a_bundle_is_refused(two_sites, capsys, tmp_path, content, message):
    _, keys = two_sites
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    code, _, err = pool(capsys, bad, "--keys", keys)
    assert code == 3
    assert message in err
