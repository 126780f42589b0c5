"""Django settings for the ldntrial web app. Every choice comes from ``config.load``."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from ldntrial.reports.rendering import TEMPLATE_DIR as REPORT_TEMPLATES
from ldntrial.web import config

CONFIG = config.load(os.environ, Path.cwd())
config.private_data_dir(CONFIG.data_dir)
BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
    "axes",
    "csp",
    "ldntrial.web.audit",
    "ldntrial.web.accounts",
    "ldntrial.web.clinic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ldntrial.web.accounts.middleware.SessionPolicyMiddleware",
    "ldntrial.web.when.ClinicTimeZoneMiddleware",
    "ldntrial.web.accounts.middleware.NoStoreMiddleware",
    "ldntrial.web.accounts.middleware.RefusalAuditMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ldntrial.web.urls"
WSGI_APPLICATION = "ldntrial.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The reports' templates too: pages include the same partials as the PDFs and the CLI,
        # which render them with their own engine (ldntrial.reports.rendering).
        "DIRS": [BASE_DIR / "templates", REPORT_TEMPLATES],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ldntrial.web.accounts.context.session",
            ],
            # ``|when``: a moment in the clinic's time zone, readable (ldntrial.web.when).
            "builtins": ["ldntrial.web.when"],
        },
    }
]

if CONFIG.database_url:
    DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(CONFIG.data_dir / "ldntrial.sqlite3"),
            "OPTIONS": {
                # WAL lets the diary be read while it is written; IMMEDIATE avoids lock upgrades.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
# PostgreSQL: the app connects as a role that may only add to and read the audit tables; the
# owner role (schema changes, migrations) is given separately. See docs/security.md.
OWNER_DATABASE_URL = os.environ.get("LDNTRIAL_OWNER_DATABASE_URL") or None
if OWNER_DATABASE_URL and CONFIG.database_url:
    DATABASES["owner"] = dj_database_url.parse(OWNER_DATABASE_URL)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "ldntrial.web.accounts.security.IpThrottleBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # Argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling: 5 failures for an account, from any address, lock it for 15 minutes (an
# e-signature's password counts too); an address with 30 failures in that time is refused as
# well (accounts.security). The message is the same whether or not the account exists.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for the address in the lock-out parameters; addresses are throttled by
# accounts.security.IpThrottleBackend instead, with their own, higher limit.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

STAFF_IDLE_SECONDS = CONFIG.staff_idle_minutes * 60
PATIENT_SESSION_SECONDS = CONFIG.patient_session_days * 24 * 3600
# Staff see a warning with a countdown this long before idle sign-out (at most half the idle
# time), with a button that keeps them signed in (accounts.context, static/ldntrial/session.js).
SESSION_WARNING_SECONDS = 120
# A form refused for a missing or stale CSRF token gets a page that says what happened and how
# to continue (accounts.views.csrf_failure), never Django's developer page.
CSRF_FAILURE_VIEW = "ldntrial.web.accounts.views.csrf_failure"
# Sessions are stored under a hash of their key (accounts.sessions, decision 0010).
SESSION_ENGINE = "ldntrial.web.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy: scripts and styles only from this site's static files (no
# inline code, no inline style attributes); nothing may frame the pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if CONFIG.production:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

OTP_TOTP_ISSUER = "ldntrial"

# Keys kept outside the database (ldntrial.web.keys) and the audit trail's anchored chain heads.
LDNTRIAL_KEY_DIR = CONFIG.key_dir
AUDIT_ANCHOR_FILE = CONFIG.audit_anchor_file
AUDIT_ANCHOR_SECONDS = CONFIG.audit_anchor_seconds

# The registry: cells of fewer patients are suppressed on pages and in exports; the site id
# names this installation in federated summary bundles (docs/decisions/0029, 0030).
LDNTRIAL_REGISTRY_MIN_CELL = CONFIG.registry_min_cell
LDNTRIAL_SITE_ID = CONFIG.site_id

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = CONFIG.data_dir / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Patient data never goes into logs: no request bodies, no SQL, no values in error mails.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["console"], "level": "WARNING"},
        "django.db.backends": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}
