"""Production settings: Argon2id, password rules, and a clean `check --deploy`."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings

import ldntrial.web.settings as production


def test_new_passwords_are_hashed_with_argon2id_under_the_real_settings():
    # The suite hashes with a fast hasher; here the production list decides, as it does live.
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        encoded = make_password("a long enough password")
        assert encoded.startswith("argon2$argon2id$")
        assert check_password("a long enough password", encoded)


@pytest.mark.parametrize(
    ("password", "refused_because"),
    [
        ("short-pw-1", "at least 12 characters"),
        ("password1234", "too common"),
    ],
)
def test_a_short_or_common_password_is_refused_under_the_real_settings(password, refused_because):
    with (
        override_settings(AUTH_PASSWORD_VALIDATORS=production.AUTH_PASSWORD_VALIDATORS),
        pytest.raises(ValidationError, match=refused_because),
    ):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted_under_the_real_settings():
    with override_settings(AUTH_PASSWORD_VALIDATORS=production.AUTH_PASSWORD_VALIDATORS):
        validate_password("correct horse battery staple 42")


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
