from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "wuyou.accounts"
    label = "accounts"
    verbose_name = _("Organisation and staff")

    def ready(self) -> None:
        from wuyou.accounts import signals  # noqa: F401 — connects the login receiver


class WuyouAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with Wuyou's site: back-off login and the second factor (wuyou.accounts.admin_site)."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin; "wuyou.accounts" is AccountsConfig
    default_site = "wuyou.accounts.admin_site.WuyouAdminSite"
