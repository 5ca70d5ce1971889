"""The visit page's step and exception cards: their words, what each recorded in one line, which one is open.

Presentation only: which steps a visit allows and which comes next are the pure walk's (wuyou.fieldservice.steps).
On a phone the page shows the next step unfolded with its big button; the steps done fold to a line each and the
others stay folded, reachable with a tap (issue 13).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.template.defaultfilters import truncatechars
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from wuyou.dispatch.models import WorkOrder
from wuyou.fees import views as fee_views
from wuyou.fieldservice import steps

STEP_TITLES = {
    "confirm_call": gettext_lazy("Confirm the appointment by phone"),
    "on_the_way": gettext_lazy("On the way"),
    "arrived": gettext_lazy("Arrived"),
    "diagnosis": gettext_lazy("Diagnosis"),
    "work_done": gettext_lazy("Work done"),
    "parts_used": gettext_lazy("Parts used"),
    "take_back": gettext_lazy("Take the unit back for repair"),
    "test_run": gettext_lazy("Test run"),
    "rating": gettext_lazy("Customer's rating and signature"),
    "done": gettext_lazy("Finish the visit"),
}
STEP_BUTTONS = {
    "confirm_call": gettext_lazy("Customer confirmed by phone"),
    "on_the_way": gettext_lazy("I am on my way"),
    "arrived": gettext_lazy("I have arrived"),
    "diagnosis": gettext_lazy("Save the diagnosis"),
    "work_done": gettext_lazy("Save the work done"),
    "parts_used": gettext_lazy("Save the parts"),
    "take_back": gettext_lazy("Save the take-back"),
    "test_run": gettext_lazy("Save the test run"),
    "rating": gettext_lazy("Save rating and signature"),
    "done": gettext_lazy("Visit done"),
}
EXCEPTION_TITLES = {
    "nobody_home": gettext_lazy("Nobody home"),
    "entry_refused": gettext_lazy("Entry refused"),
    "running_late": gettext_lazy("Running late"),
    "compensation": gettext_lazy("Customer asks for compensation"),
    "hand_back": gettext_lazy("Hand back for reassignment"),
}
EXCEPTION_BUTTONS = {
    "nobody_home": gettext_lazy("Report nobody home"),
    "entry_refused": gettext_lazy("Report entry refused"),
    "running_late": gettext_lazy("Report running late"),
    "compensation": gettext_lazy("Escalate to the manager"),
    "hand_back": gettext_lazy("Hand the visit back"),
}
SUMMARY_CHARS = 60  # a folded step's line: what it recorded, cut to fit a phone's width


@dataclass
class Card:
    """One step or exception form on the visit page, with what it recorded and its errors after a bad post.

    `focus`: the step the page leads with (the next one, or the one sent back with errors); `summary`: what a recorded
    step wrote, in one line for its folded card.
    """

    key: str
    title: str
    button: str
    number: int = 0
    recorded: bool = False
    optional: bool = False
    focus: bool = False
    waiting: bool = False  # not the next step, but work waits in it (the agreed quote's parts to book)
    summary: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    parts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def open(self) -> bool:
        """Shown unfolded: the step the page leads with, one where work waits, or one sent back with errors."""
        return self.focus or self.waiting or bool(self.errors)


@dataclass
class Posted:
    """The form that came back with errors: which one, its values and its messages by field."""

    key: str
    values: dict[str, Any]
    errors: dict[str, str]
    parts: list[dict[str, Any]] = field(default_factory=list)


def _clock(value: Any) -> str:
    return timezone.localtime(value).strftime("%H:%M") if value is not None else ""


def recorded_summary(key: str, wo: WorkOrder) -> str:
    """What a recorded step wrote, in one short line (its folded card's summary); "" when it recorded nothing."""
    if key == "confirm_call":
        return _clock(wo.confirmed_at)
    if key == "on_the_way":
        return _clock(wo.departed_at)
    if key == "arrived":
        return _clock(wo.arrived_at)
    if key == "diagnosis":
        return truncatechars(" ".join(wo.diagnosis.split()), SUMMARY_CHARS)
    if key == "work_done":
        return truncatechars(" ".join(wo.work_done.split()), SUMMARY_CHARS)
    if key == "parts_used":
        parts = list(wo.parts_used)
        names = ", ".join(str(p["name"]) for p in parts)
        count = ngettext("%(count)d part", "%(count)d parts", len(parts)) % {"count": len(parts)}
        return truncatechars(f"{count}: {names}", SUMMARY_CHARS) if parts else ""
    if key == "take_back":
        return wo.take_back_receipt
    if key == "test_run":
        if wo.test_run_ok is None:
            return ""
        return str(_("Passed") if wo.test_run_ok else _("Failed"))
    if key == "rating":
        if wo.quality_rating is None:
            return ""
        return _("Quality %(quality)s/5 · Attitude %(attitude)s/5") % {
            "quality": wo.quality_rating,
            "attitude": wo.attitude_rating,
        }
    if key == "done":
        return _clock(wo.finished_at)
    return ""


def step_cards(wo: WorkOrder, walk: steps.Walk, posted: Posted | None) -> list[Card]:
    """The steps the visit may take now, in order: the next one leads; one already recorded folds away to a line
    but may be redone; a card sent back with errors leads instead of the next step."""
    errored = posted.key if posted is not None and posted.key in walk.steps else ""
    cards = []
    for number, key in enumerate(walk.steps, start=1):
        recorded = steps.step_recorded(key, wo)
        card = Card(
            key=key,
            title=str(STEP_TITLES[key]),
            button=str(STEP_BUTTONS[key]),
            number=number,
            recorded=recorded,
            optional=key in steps.OPTIONAL_STEPS,
            focus=key == (errored or walk.next_step),
            summary=recorded_summary(key, wo) if recorded else "",
        )
        if key == "parts_used":
            # The agreed quote's parts not yet booked, serials to type; else one empty row.
            agreed = fee_views.agreed_part_rows(wo)
            card.waiting = bool(agreed)
            card.parts = agreed or [{"code": "", "serial": "", "quantity": "1", "errors": {}}]
        if key == "rating":
            # Rated already: the form starts from what was saved, signature included, so a correction keeps it.
            card.values = {
                "quality": wo.quality_rating,
                "attitude": wo.attitude_rating,
                "signature": wo.signature,
                "signed_by": wo.signed_by,
            }
        if posted is not None and posted.key == key:
            card.errors, card.values = posted.errors, posted.values
            if key == "parts_used" and posted.parts:
                card.parts = posted.parts
        cards.append(card)
    return cards


def exception_cards(walk: steps.Walk, posted: Posted | None) -> list[Card]:
    """The exceptions the visit may report, folded unless sent back with errors."""
    cards = []
    for key in walk.exceptions:
        card = Card(key=key, title=str(EXCEPTION_TITLES[key]), button=str(EXCEPTION_BUTTONS[key]), recorded=True)
        if posted is not None and posted.key == key:
            card.errors, card.values = posted.errors, posted.values
        cards.append(card)
    return cards
