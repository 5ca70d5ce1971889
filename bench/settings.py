"""Settings for benchmark servers: production settings plus the framework-floor view."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}  # noqa: F405
