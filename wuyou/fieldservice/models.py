"""Field service has no tables of its own (it walks dispatch's work orders); its event verbs live here."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitVerb(models.TextChoices):
    """What the visit walk writes in a request's history: each step and exception."""

    CONFIRMED = "job_confirmed", _("Appointment confirmed by phone")
    ON_THE_WAY = "job_on_the_way", _("Engineer on the way")
    ARRIVED = "job_arrived", _("Engineer arrived")
    DIAGNOSIS = "job_diagnosis", _("Diagnosis")
    WORK_DONE = "job_work_done", _("Work done")
    PARTS_USED = "job_parts_used", _("Parts used")
    TAKE_BACK = "job_take_back", _("Unit taken back for repair")
    TEST_RUN = "job_test_run", _("Test run")
    RATED = "job_rated", _("Customer rated and signed")
    DONE = "job_done", _("Visit done")
    NOBODY_HOME = "job_nobody_home", _("Nobody home")
    ENTRY_REFUSED = "job_entry_refused", _("Entry refused")
    RUNNING_LATE = "job_running_late", _("Engineer running late")
    COMPENSATION = "job_compensation", _("Compensation asked")
    HAND_BACK = "job_hand_back", _("Visit handed back")
    REBOOK = "job_rebook", _("New appointment needed")
