from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldServiceConfig(AppConfig):
    name = "wuyou.fieldservice"
    label = "fieldservice"
    verbose_name = _("Field service")

    def ready(self) -> None:
        from wuyou.fieldservice.models import VisitVerb
        from wuyou.tickets.history import history_labels_register

        history_labels_register(VisitVerb)  # the request history reads its verbs in words

        from wuyou.fieldservice.views.jobs import job_visits
        from wuyou.tickets.job_cards import job_visits_register

        job_visits_register("fieldservice", job_visits)  # "my jobs" cards: each job's visit and its next step

        from wuyou.fieldservice.links import work_order_urls
        from wuyou.notifications.links import ref_url_register

        ref_url_register("work_order", work_order_urls)  # the inbox links `work_order:<id>` to the visit page
