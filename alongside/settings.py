"""Alongside settings: one file, read from the environment through tiny helpers.

With no environment at all this runs a local, single-process instance: DEBUG on, SQLite under
``var/``, the in-memory channel layer, console email and generated local key files. Production
parts are switched on by ``DATABASE_URL``, ``REDIS_URL`` and friends; with ``DEBUG`` off every
missing secret raises ``ImproperlyConfigured`` (see docs/configuration in README.md).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("ALONGSIDE_VAR_DIR", BASE_DIR.parent / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [part.strip() for part in value.split(",") if part.strip()]


def env_secret(name: str) -> str:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (Docker/systemd secrets)."""
    value = os.environ.get(name, "")
    path = os.environ.get(f"{name}_FILE", "")
    if value and path:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc.strerror}") from exc
    return value.strip()


def local_key_file(name: str, make: str) -> str:
    """Development only: a key kept in ``var/`` so restarts keep sessions and encrypted data."""
    path = VAR_DIR / name
    if not path.exists():
        VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)  # database and keys: owner only
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(make)
    return path.read_text(encoding="utf-8").strip()


DEBUG = env_bool("DEBUG", True)

# The demo setting: demo accounts (only ever made by `alongside demo`) may skip 2FA set-up.
DEMO = env_bool("ALONGSIDE_DEMO", False)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off")
    SECRET_KEY = local_key_file("secret_key", secrets.token_urlsafe(64))

# Field encryption keys: comma-separated Fernet keys, newest first. Separate from SECRET_KEY.
_encryption_keys = env_secret("ALONGSIDE_ENCRYPTION_KEYS")
if not _encryption_keys:
    if not DEBUG:
        raise ImproperlyConfigured(
            "ALONGSIDE_ENCRYPTION_KEYS (or ALONGSIDE_ENCRYPTION_KEYS_FILE) must be set when DEBUG is off"
        )
    _encryption_keys = local_key_file("encryption_keys", Fernet.generate_key().decode())
ENCRYPTION_KEYS = [key.strip() for key in _encryption_keys.replace("\n", ",").split(",") if key.strip()]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if not DEBUG and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("SITE_URL must be set to the public https:// address when DEBUG is off (used in emails)")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "axes",
    "csp",
    "channels",
    "ninja",
    "alongside.core",
    "alongside.accounts",
    "alongside.audit",
    "alongside.people",
    "alongside.matching",
    "alongside.workforce",
    "alongside.groups",
    "alongside.directory",
    "alongside.safety",
    "alongside.warmline",
    "alongside.api",
    "alongside.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "alongside.core.middleware.RequestContextMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "alongside.accounts.middleware.SessionLimitsMiddleware",
    "alongside.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "alongside.core.middleware.NoStoreForSignedInMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alongside.urls"
ASGI_APPLICATION = "alongside.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alongside.web.context_processors.shell",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)  # database and keys: owner only
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "alongside.sqlite3"),
            "OPTIONS": {
                # Take the write lock at BEGIN so concurrent writers queue instead of failing.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            "TEST": {"NAME": env("ALONGSIDE_TEST_SQLITE", "") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, channels -----------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # A channel holds up to 1,000 undelivered events (the default 100 drops broadcasts when a
    # process serves a few hundred chats at once; clients then recover them by sync, slower).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Accounts and sign-in -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "alongside.accounts.passwords.Argon2idHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "alongside.accounts.passwords.MaximumLengthValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:app_home"
LOGOUT_REDIRECT_URL = "web:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2
INVITATION_VALID_DAYS = env_int("ALONGSIDE_INVITATION_VALID_DAYS", 7)

# Staff sessions: 30 minutes idle, 12 hours at most; stored in the database (not cache-only).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("ALONGSIDE_SESSION_IDLE_MINUTES", 30))
SESSION_ABSOLUTE_LIMIT = timedelta(hours=env_int("ALONGSIDE_SESSION_MAX_HOURS", 12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_LIMIT.total_seconds())
# Changing the second factor, recovery codes, API tokens or roles needs the password again if it
# was last entered longer ago than this.
REAUTH_WINDOW = timedelta(minutes=env_int("ALONGSIDE_REAUTH_MINUTES", 10))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# django-axes: lock a username from one address after repeated failures, so nobody can lock
# another person out from elsewhere.
AXES_FAILURE_LIMIT = env_int("ALONGSIDE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "alongside.accounts.views.locked_out"
AXES_IPWARE_PROXY_COUNT = env_int("ALONGSIDE_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Alongside"
OTP_TOTP_THROTTLE_FACTOR = 1

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL = env("EMAIL_HOST")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Alongside <no-reply@localhost>" if DEBUG else "")
if not DEBUG and not DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured("DEFAULT_FROM_EMAIL must be set when DEBUG is off (the sender of invitations)")
if EMAIL_URL:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = EMAIL_URL
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    raise ImproperlyConfigured("EMAIL_HOST must be set when DEBUG is off (invitations and password resets)")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (served by the app itself through WhiteNoise: no CDN) -----------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Browser safety headers -----------------------------------------------------------------
# No inline script or style anywhere, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    # "Use my location" in the directory asks only on click, on our own origin.
    "geolocation": ["self"],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Health probes come from the load balancer over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-alongside-session"
    CSRF_COOKIE_NAME = "__Host-alongside-csrf"

# --- API ------------------------------------------------------------------------------------
API_MAX_PAGE_SIZE = 100
NINJA_PAGINATION_MAX_LIMIT = API_MAX_PAGE_SIZE
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Uploads (signed consent forms) ----------------------------------------------------------
# Checked by content in people/documents.py, which never reads more than one byte past this.
MAX_UPLOAD_BYTES = env_int("ALONGSIDE_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
# A request up to the upload limit stays in memory, so a signed form never touches the disk
# unencrypted; a larger one spools to a temporary file (deleted after the request) and is refused.
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 256 * 1024

# --- Logging: no request bodies, no personal data -------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "alongside.core.logging.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.security": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
