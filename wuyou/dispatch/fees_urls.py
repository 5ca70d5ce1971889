"""Fee quote pages on a visit, the receipt (page and PDF) and the centre's disputes (issue 5 item 3).

Included in wuyou.dispatch.urls (namespace "dispatch"); the fee API reverses the two receipt names.
"""

from django.urls import path

from wuyou.dispatch.views import fees

urlpatterns = [
    path("dispatch/work-orders/<int:work_order_id>/quote/", fees.work_order_quote, name="work_order_quote"),
    path("dispatch/quotes/<int:quote_id>/decision/", fees.quote_decide, name="quote_decide"),
    path("dispatch/work-orders/<int:work_order_id>/receipt/", fees.work_order_receipt, name="work_order_receipt"),
    path(
        "dispatch/work-orders/<int:work_order_id>/receipt.pdf",
        fees.work_order_receipt_pdf,
        name="work_order_receipt_pdf",
    ),
    path("dispatch/fee-disputes/", fees.fee_disputes, name="fee_disputes"),
    path("dispatch/quotes/<int:quote_id>/settle/", fees.quote_settle, name="quote_settle"),
]
