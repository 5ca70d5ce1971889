from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "wuyou.quality"
    label = "quality"
    verbose_name = _("Quality and callbacks")

    def ready(self) -> None:
        from wuyou.quality.models import QualityVerb
        from wuyou.tickets.history import history_labels_register

        history_labels_register(QualityVerb)  # the request history reads its verbs in words
        from wuyou.quality.panels import phone_guidance_panel, request_callbacks_panel
        from wuyou.tickets.panels import AFTER_ACTIONS, request_panel_register

        # The request page offers phone guidance and shows its callbacks; tickets knows nothing of quality (ADR 0004).
        request_panel_register("phone_guidance", phone_guidance_panel, 10, slot=AFTER_ACTIONS)
        request_panel_register("callbacks", request_callbacks_panel, 20, slot=AFTER_ACTIONS)

        from wuyou.customers.erasure import eraser_register, open_jobs_register
        from wuyou.quality.erasure import callbacks_erase, pending_callbacks

        # Anonymising a customer (PIPL art. 47) erases his traces here too; customers knows nothing of this app.
        open_jobs_register("callbacks", pending_callbacks)
        eraser_register("callbacks", callbacks_erase)
