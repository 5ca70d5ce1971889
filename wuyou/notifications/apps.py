from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "wuyou.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.core import checks

        from wuyou.notifications.channels import check_channel_settings

        # A channel listed in WUYOU_NOTIFY_CHANNELS that cannot deliver is refused at start-up, not at 3 a.m.
        checks.register(check_channel_settings)
