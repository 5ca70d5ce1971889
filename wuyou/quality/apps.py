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

        from wuyou.fieldservice.finish import visit_done_register
        from wuyou.quality.services.scheduling import callbacks_after_visit

        # A finished visit may call for a callback by rule (uncertain repair, unsatisfied on site, the revisit).
        visit_done_register("callbacks", callbacks_after_visit)

        from wuyou.quality.services.sampling import sampling_draws_due
        from wuyou.tickets.sweep_jobs import sweep_job_register

        # Each morning after 06:00 the sweeper draws yesterday's completed jobs for the sampled callbacks (R-G2).
        sweep_job_register("sample_draw", sampling_draws_due)

        from wuyou.quality.complaints import VERB_LABELS
        from wuyou.quality.desk.panels import request_complaint_panel
        from wuyou.quality.services.rectification import rectification_overdue_sweep

        # The complaint desk (R-G3): the agent's screen on a complaint request, and overdue rectification actions
        # climbing owner → outlet manager → service manager on every sweep.
        history_labels_register(VERB_LABELS)
        request_panel_register("complaint", request_complaint_panel, 5, slot=AFTER_ACTIONS)
        sweep_job_register("rectification_overdue", rectification_overdue_sweep)
