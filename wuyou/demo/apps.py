from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo loader: depends on every other app, and nothing depends on it (docs/adr/0001-demo-app.md)."""

    name = "wuyou.demo"
    label = "demo"
    verbose_name = _("Demo data")
