"""Console and customer pages."""

from django.urls import path

from wuyou.customers import views

app_name = "customers"
urlpatterns = [
    path("customers/", views.console, name="console"),
    path("customers/new/", views.customer_new, name="new"),
    path("customers/<int:customer_id>/", views.customer_detail, name="detail"),
    path("customers/<int:customer_id>/timeline/", views.customer_timeline, name="timeline"),
    path("customers/<int:customer_id>/phones/reveal/", views.customer_reveal, name="reveal"),
    path("customers/<int:customer_id>/notes/", views.customer_note, name="note"),
    path("customers/<int:customer_id>/map/", views.address_place, name="address_place"),
    path("customers/<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("customers/<int:customer_id>/merge/", views.customer_merge, name="merge"),
    path("customers/<int:customer_id>/anonymise/", views.customer_anonymise_request, name="anonymise_request"),
    path("customers/anonymisations/", views.anonymisation_list, name="anonymisations"),
    path(
        "customers/anonymisations/<int:anonymisation_id>/decide/",
        views.anonymisation_decide,
        name="anonymisation_decide",
    ),
]
