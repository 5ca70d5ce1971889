"""The staff user's in-app inbox (issue 13 item 5): the bell's count, the list, marking messages read.

The outbox and its reads live in `notifications`, which may import only core; these pages live here because they
need the staff guard (login, second factor, a logged 404) of this app, and `accounts` may call `notifications`
(import-linter: only notifications is kept from importing the apps). Every read is the user's own inbox by
construction: the selectors filter on `request.user.pk`, so another's message id is a 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from wuyou.accounts.twofactor import second_factor_step
from wuyou.accounts.views import staff_view
from wuyou.core.htmx import found_or_404, render_page_or_partial
from wuyou.notifications.links import ref_urls
from wuyou.notifications.selectors import inbox_messages, inbox_unread_count
from wuyou.notifications.services import inbox_mark_all_read, inbox_mark_read

PAGE_SIZE = 25
STATUSES = ("all", "unread")


def _status(value: str | None) -> str:
    return value if value in STATUSES else "all"


def _inbox_url(status: str, page: str | None = None) -> str:
    query = {"status": status} if status != "all" else {}
    if page and page.isdigit() and page != "1":
        query["page"] = page
    return reverse("inbox") + (f"?{urlencode(query)}" if query else "")


@require_GET
@staff_view
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's messages, newest first (unread or all), 25 a page, each linked to what it is about."""
    status = _status(request.GET.get("status"))
    messages = inbox_messages(user_id=request.user.pk, unread_only=status == "unread")
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    urls = ref_urls(m.ref for m in page.object_list)
    context: dict[str, Any] = {
        "title": _("Inbox"),
        "page": page,
        "entries": [{"message": m, "url": urls.get(m.ref)} for m in page.object_list],
        "status": status,
        "unread": inbox_unread_count(user_id=request.user.pk),
    }
    return render_page_or_partial(request, "accounts/inbox.html", "results", context)


@require_POST
@staff_view
def inbox_read(request: HttpRequest, message_id: int) -> HttpResponse:
    """Mark one of the user's messages read; back to the inbox, or on to its page when `open` was pressed."""
    message = found_or_404(request, inbox_mark_read, user_id=request.user.pk, message_id=message_id)
    if request.POST.get("open"):
        target = ref_urls([message.ref]).get(message.ref)
        if target:
            return HttpResponseRedirect(target)
    return HttpResponseRedirect(_inbox_url(_status(request.POST.get("status")), request.POST.get("page")))


@require_POST
@staff_view
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    """Mark every unread message of the user read."""
    inbox_mark_all_read(user_id=request.user.pk)
    return HttpResponseRedirect(_inbox_url(_status(request.POST.get("status"))))


@require_GET
def inbox_bell(request: HttpRequest) -> HttpResponse:
    """The bell's unread count (one COUNT), loaded by htmx with the page and refreshed every minute.

    A refresh is not the user's activity: it must not keep an idle session alive past its idle limit
    (ASVS 3.3.1), so the session is not saved. Once the session has expired the window goes to the login page;
    while the second factor is still due the bell stays empty (the code page must not be reloaded under the user).
    """
    if not request.user.is_authenticated:
        htmx = getattr(request, "htmx", None)
        back = (htmx.current_url_abs_path if htmx else None) or reverse("inbox")
        return HttpResponseClientRedirect(redirect_to_login(back)["Location"])
    # Drop the idle-timeout stamp the session middleware may have just refreshed (nothing else is written here).
    request.session.modified = False
    if second_factor_step(request) is not None:
        return HttpResponse("")
    unread = inbox_unread_count(user_id=request.user.pk)
    return HttpResponse(render_to_string("accounts/inbox_bell.html", {"unread": unread}))
