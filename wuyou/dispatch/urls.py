"""Dispatcher board, booking a visit, the engineer's day; fees (fees_urls), spare parts and loaners (parts_urls)."""

from django.urls import path

from wuyou.dispatch import fees_urls, parts_urls
from wuyou.dispatch.views import board, booking, engineer

app_name = "dispatch"
urlpatterns = [
    # The dispatcher's board (views/board.py)
    path("dispatch/board/", board.board, name="board"),
    path("dispatch/plans/new/", board.plan_new, name="plan_new"),
    path("dispatch/plans/<int:plan_id>/", board.plan_detail, name="plan"),
    path("dispatch/plans/<int:plan_id>/adjust/", board.plan_adjust, name="plan_adjust"),
    path("dispatch/plans/<int:plan_id>/pin/", board.plan_pin, name="plan_pin"),
    path("dispatch/plans/<int:plan_id>/commit/", board.plan_commit, name="plan_commit"),
    path("dispatch/plans/<int:plan_id>/discard/", board.plan_discard, name="plan_discard"),
    # Opening and booking a visit from a request (views/booking.py)
    path("requests/<int:request_id>/visit/", booking.work_order_new, name="work_order_new"),
    path("dispatch/work-orders/<int:work_order_id>/book/", booking.work_order_book, name="work_order_book"),
    path("dispatch/work-orders/<int:work_order_id>/cancel/", booking.work_order_cancel, name="work_order_cancel"),
    # The engineer's day (views/engineer.py)
    path("my-day/", engineer.my_day, name="my_day"),
    path("dispatch/work-orders/<int:work_order_id>/", engineer.work_order_detail, name="work_order"),
    path("dispatch/work-orders/<int:work_order_id>/step/", engineer.work_order_step, name="work_order_step"),
    path(
        "dispatch/work-orders/<int:work_order_id>/exception/",
        engineer.work_order_exception,
        name="work_order_exception",
    ),
    # The quote, the customer's answer, the receipt and the centre's disputes (views/fees.py)
    *fees_urls.urlpatterns,
    # Spare parts and loaners (views/parts.py, views/loaners.py)
    *parts_urls.urlpatterns,
]
