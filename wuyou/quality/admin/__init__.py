"""Django admin for quality, one module per sub-domain (each registers its models on import)."""

from wuyou.quality.admin import (
    callbacks,  # noqa: F401
    complaints,  # noqa: F401
    questionnaires,  # noqa: F401
    sampling,  # noqa: F401
)
