"""The engineer's pages: his day and the visit walk (steps and exceptions)."""

from django.urls import path

from wuyou.fieldservice.views import day, quote, visit

app_name = "fieldservice"
urlpatterns = [
    path("my-day/", day.my_day, name="my_day"),
    path("dispatch/work-orders/<int:work_order_id>/", visit.work_order_detail, name="work_order"),
    path("dispatch/work-orders/<int:work_order_id>/step/", visit.work_order_step, name="step"),
    path("dispatch/work-orders/<int:work_order_id>/exception/", visit.work_order_exception, name="exception"),
    path("dispatch/work-orders/<int:work_order_id>/quote/", quote.work_order_quote, name="quote"),
    path("dispatch/quotes/<int:quote_id>/decision/", quote.quote_decide, name="decide"),
]
