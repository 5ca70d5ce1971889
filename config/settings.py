"""Wuyou settings: one module, driven by environment variables (see README "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WUYOU_VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("WUYOU_DEBUG", False)
SECRET_KEY = os.environ.get("WUYOU_SECRET_KEY", "")
if not SECRET_KEY:
    # A trial install gets a per-machine key kept beside the embedded database.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("WUYOU_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("WUYOU_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "wuyou.accounts.apps.WuyouAdminConfig",  # django.contrib.admin with the second factor (docs/security.md)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs' Swagger UI from our static files, not a CDN
    "template_partials",
    "django_tasks",
    "wuyou.core.apps.BackgroundTasksConfig",  # django_tasks_db, named for people (Background tasks)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "wuyou.core",
    "wuyou.calendars",
    "wuyou.accounts",
    "wuyou.customers",
    "wuyou.products",
    "wuyou.tickets",
    "wuyou.dispatch",
    "wuyou.parts",
    "wuyou.loaners",
    "wuyou.fees",
    "wuyou.fieldservice",
    "wuyou.quality",
    "wuyou.notifications",
    "wuyou.demo",  # last: it depends on every other app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wuyou.core.middleware.ApiBodyGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wuyou.core.middleware.SessionTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.otp_device: the device that verified this session
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "wuyou.accounts.views.actor_context",
            ],
        },
    }
]

_sqlite_path = VAR_DIR / "wuyou.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{_sqlite_path}",
        conn_max_age=int(os.environ.get("WUYOU_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process, the worker and the sweeper read while one writes.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["WUYOU_REDIS_URL"]}
        if os.environ.get("WUYOU_REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "wuyou_cache"}
    )
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600  # absolute limit (ASVS L2): fixed at login, it does not slide with activity
WUYOU_SESSION_MAX_SECONDS = SESSION_COOKIE_AGE
WUYOU_SESSION_IDLE_SECONDS = int(os.environ.get("WUYOU_SESSION_IDLE_SECONDS", str(30 * 60)))

# Login back-off, trusted proxies and the second factor (docs/security.md).
WUYOU_LOGIN_RATE = os.environ.get("WUYOU_LOGIN_RATE", "5/300")  # free failures / longest wait in seconds
WUYOU_TOKEN_RATE = os.environ.get("WUYOU_TOKEN_RATE", "10/300")  # wrong API tokens per address, the same way
# The client's address for the limits: REMOTE_ADDR, unless a proxy header is trusted, e.g. X-Forwarded-For with
# the number of our proxies that append to it (the client is that many entries from the right).
WUYOU_TRUSTED_PROXY_HEADER = os.environ.get("WUYOU_TRUSTED_PROXY_HEADER", "").strip()
if WUYOU_TRUSTED_PROXY_HEADER and not WUYOU_TRUSTED_PROXY_HEADER.startswith("HTTP_"):
    WUYOU_TRUSTED_PROXY_HEADER = "HTTP_" + WUYOU_TRUSTED_PROXY_HEADER.upper().replace("-", "_")
WUYOU_TRUSTED_PROXY_COUNT = int(os.environ.get("WUYOU_TRUSTED_PROXY_COUNT", "1"))
WUYOU_REQUIRE_2FA = _env_bool("WUYOU_REQUIRE_2FA", True)  # administrators and head office must use TOTP
WUYOU_OTP_REMEMBER_DAYS = int(os.environ.get("WUYOU_OTP_REMEMBER_DAYS", "30"))  # 0: never remember a browser
OTP_TOTP_ISSUER = "Wuyou"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's secret key
SECURE_COOKIES = _env_bool("WUYOU_SECURE_COOKIES", not DEBUG and _env_bool("WUYOU_HTTPS", False))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if _env_bool("WUYOU_HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# Bodies over 1 MiB are refused with 413 before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("WUYOU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("WUYOU_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise scans it at start-up
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Every handler masks phone numbers and the values of token/key/secret/password parameters (ASVS 7.1.1):
# wuyou.core.logmasking. Django's own handlers are replaced here so that none writes unmasked: `django` logs
# through the root handler, runserver's request lines (`django.server`) through a masking handler of their own.
# gunicorn's access log (`wuyou serve`) is masked by wuyou.core.gunicorn_logger.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask": {"()": "wuyou.core.logmasking.SensitiveDataFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["mask"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("WUYOU_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"level": "ERROR"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

WUYOU_IDEMPOTENCY_STALE_SECONDS = 60

# Notifications (docs/configuration.md "Notifications"). Every recipient gets the channels listed here; e-mail is
# added for users with an address once an SMTP relay is set. SMS and WeChat are not implemented yet.
WUYOU_NOTIFY_CHANNELS = [c.strip() for c in os.environ.get("WUYOU_NOTIFY_CHANNELS", "console").split(",") if c.strip()]
WUYOU_EMAIL_HOST = os.environ.get("WUYOU_EMAIL_HOST", "")
WUYOU_EMAIL_PORT = int(os.environ.get("WUYOU_EMAIL_PORT", "587"))
WUYOU_EMAIL_USER = os.environ.get("WUYOU_EMAIL_USER", "")
WUYOU_EMAIL_PASSWORD = os.environ.get("WUYOU_EMAIL_PASSWORD", "")
WUYOU_EMAIL_USE_TLS = _env_bool("WUYOU_EMAIL_USE_TLS", True)
WUYOU_EMAIL_FROM = os.environ.get("WUYOU_EMAIL_FROM", "") or WUYOU_EMAIL_USER or "wuyou@localhost"
EMAIL_HOST = WUYOU_EMAIL_HOST or "localhost"
EMAIL_PORT = WUYOU_EMAIL_PORT
EMAIL_HOST_USER = WUYOU_EMAIL_USER
EMAIL_HOST_PASSWORD = WUYOU_EMAIL_PASSWORD
# Port 465 speaks TLS from the first byte (SMTPS, common with Chinese mail providers); others upgrade with STARTTLS.
EMAIL_USE_SSL = WUYOU_EMAIL_USE_TLS and WUYOU_EMAIL_PORT == 465
EMAIL_USE_TLS = WUYOU_EMAIL_USE_TLS and not EMAIL_USE_SSL
# Bounds each SMTP step, so a send always ends well inside the outbox's claim lease (5 minutes).
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = SERVER_EMAIL = WUYOU_EMAIL_FROM

# Geocoding (docs/geocoding.md): "gazetteer" (offline, ships with Wuyou) or "amap" (AMap web service, needs a key; the
# address then leaves the machine). The gazetteer always stands behind a web provider.
WUYOU_GEOCODER = os.environ.get("WUYOU_GEOCODER", "gazetteer").strip() or "gazetteer"
WUYOU_AMAP_KEY = os.environ.get("WUYOU_AMAP_KEY", "")
WUYOU_GEOCODER_TIMEOUT = float(os.environ.get("WUYOU_GEOCODER_TIMEOUT", "3"))
