"""The request page's panels offered by the apps above tickets (visits, callbacks), like NetBox's template extensions.

tickets never imports those apps: each registers its panels in its AppConfig.ready(), and the request page renders
whatever is registered, in order, for the acting user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from wuyou.accounts.actors import Actor
from wuyou.tickets.models import ServiceRequest

# Where on the page a panel goes: under the request's next steps, or under its dispatch (before the history).
AFTER_ACTIONS = "after_actions"
AFTER_DISPATCH = "after_dispatch"
SLOTS = (AFTER_ACTIONS, AFTER_DISPATCH)

# Renders a panel for the actor: its HTML (a SafeString, as render_to_string gives; a plain str is escaped), or ""
# when the actor has nothing to see there.
PanelRender = Callable[[HttpRequest, Actor, ServiceRequest], str]


@dataclass(frozen=True)
class RequestPanel:
    """A panel of the request page: its name, how it is drawn, where it goes and in what order."""

    name: str
    render: PanelRender
    order: int
    slot: str


_PANELS: dict[str, RequestPanel] = {}


def request_panel_register(name: str, render: PanelRender, order: int, *, slot: str = AFTER_DISPATCH) -> None:
    """Add a panel to the request page (registering a name again replaces it, so a reload does not show it twice)."""
    if slot not in SLOTS:
        raise ValueError(f"unknown request page slot {slot!r}; one of {', '.join(SLOTS)}")
    _PANELS[name] = RequestPanel(name=name, render=render, order=order, slot=slot)


def request_panels(*, request: HttpRequest, actor: Actor, sr: ServiceRequest) -> dict[str, list[str]]:
    """Each slot's panels rendered for the actor, in order, empty ones left out; the template loops over them."""
    rendered: dict[str, list[str]] = {slot: [] for slot in SLOTS}
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.name)):
        html = panel.render(request, actor, sr)
        if html.strip():
            rendered[panel.slot].append(html)
    return rendered
