from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "wuyou.dispatch"
    label = "dispatch"
    verbose_name = _("Dispatch")

    def ready(self) -> None:
        from wuyou.dispatch.models import DispatchVerb
        from wuyou.tickets.history import history_labels_register

        history_labels_register(DispatchVerb)  # the request history reads its verbs in words
        from wuyou.dispatch.panels import request_visits_panel
        from wuyou.tickets.panels import AFTER_DISPATCH, request_panel_register

        # The request page shows its visits; tickets knows nothing of dispatch (ADR 0004).
        request_panel_register("visits", request_visits_panel, 10, slot=AFTER_DISPATCH)

        from wuyou.customers.erasure import eraser_register, open_jobs_register
        from wuyou.dispatch.erasure import open_visits, visits_erase

        # Anonymising a customer (PIPL art. 47) erases his traces here too; customers knows nothing of this app.
        open_jobs_register("visits", open_visits)
        eraser_register("visits", visits_erase)
