"""Fee pages on a visit (R-B3, R-B4): the receipt (page and PDF), disputes."""

from django.urls import path

from wuyou.fees import views

app_name = "fees"
urlpatterns = [
    path("dispatch/work-orders/<int:work_order_id>/receipt/", views.work_order_receipt, name="receipt"),
    path("dispatch/work-orders/<int:work_order_id>/receipt.pdf", views.work_order_receipt_pdf, name="receipt_pdf"),
    path("dispatch/fee-disputes/", views.fee_disputes, name="disputes"),
    path("dispatch/quotes/<int:quote_id>/settle/", views.quote_settle, name="settle"),
    path("dispatch/work-orders/<int:work_order_id>/payment/", views.payment_record, name="payment"),
    path("dispatch/work-orders/<int:work_order_id>/invoice/", views.invoice_request, name="invoice"),
    path("dispatch/invoices/", views.invoices, name="invoices"),
    path("dispatch/invoices/<int:invoice_id>/issue/", views.invoice_issue, name="invoice_issue"),
    path("dispatch/takings/", views.takings_page, name="takings"),
]
