"""Units: the customer's panel and the unit page."""

from django.urls import path

from wuyou.products import views

app_name = "products"
urlpatterns = [
    path("customers/<int:customer_id>/units/", views.customer_units, name="customer_units"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit_detail"),
]
