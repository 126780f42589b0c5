"""Production settings: Argon2id, password rules, and a clean `check --deploy`."""

import os
import subprocess
import sys

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password

import ldntrial.web.settings as production


def test_new_passwords_are_hashed_with_argon2id_in_the_real_settings():
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = make_password("a long enough password", hasher=Argon2PasswordHasher())
    assert encoded.startswith("argon2$argon2id$")


def test_passwords_need_12_characters_and_are_checked_against_common_ones():
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert "CommonPasswordValidator" in names
    length = next(v for v in settings.AUTH_PASSWORD_VALIDATORS if "MinimumLength" in v["NAME"])
    assert length["OPTIONS"]["min_length"] == 12


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    env = {
        **os.environ,
        "LDNTRIAL_PRODUCTION": "1",
        "LDNTRIAL_DATA_DIR": str(tmp_path),
        "LDNTRIAL_ALLOWED_HOSTS": "ldntrial.example.org",
        "DJANGO_SETTINGS_MODULE": "ldntrial.web.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ldntrial.web.manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_bad_setting_fails_with_a_fix_it_message(tmp_path):
    env = {
        **os.environ,
        "LDNTRIAL_DATA_DIR": str(tmp_path),
        "LDNTRIAL_STAFF_IDLE_MINUTES": "soon",
        "DJANGO_SETTINGS_MODULE": "ldntrial.web.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "ldntrial.web.manage", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "LDNTRIAL_STAFF_IDLE_MINUTES='soon' is not a whole number (1–1440)" in result.stderr
