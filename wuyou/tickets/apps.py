from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "wuyou.tickets"
    label = "tickets"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from wuyou.tickets.history import history_labels_register
        from wuyou.tickets.lifecycle import TRANSITIONS
        from wuyou.tickets.models import RequestVerb

        history_labels_register(RequestVerb)
        history_labels_register({action: transition.label for action, transition in TRANSITIONS.items()})

        from wuyou.customers.selectors import engineer_active_jobs_register
        from wuyou.tickets.selectors import engineer_active_jobs

        engineer_active_jobs_register(engineer_active_jobs)

        from wuyou.customers.erasure import eraser_register, open_jobs_register
        from wuyou.tickets.erasure import open_requests, requests_erase

        # Anonymising a customer (PIPL art. 47) erases his traces here too; customers knows nothing of this app.
        open_jobs_register("requests", open_requests)
        eraser_register("requests", requests_erase)

        from wuyou.notifications.links import ref_url_register
        from wuyou.tickets.links import request_urls

        ref_url_register("request", request_urls)  # the inbox links `request:<id>` to the request page
