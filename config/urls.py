"""URL map: web UI, API under /api/v1/, admin, language switch."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config.api import api
from wuyou.tickets.views import home

admin.site.site_header = _("Wuyou administration")
admin.site.site_title = _("Wuyou")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", home, name="home"),
    path("", include("wuyou.accounts.urls")),
    path("", include("wuyou.customers.urls")),
    path("", include("wuyou.products.urls")),
    path("", include("wuyou.tickets.urls")),
    path("", include("wuyou.dispatch.urls")),
    path("", include("wuyou.parts.urls")),
    path("", include("wuyou.loaners.urls")),
    path("", include("wuyou.fees.urls")),
    path("", include("wuyou.fieldservice.urls")),
    path("", include("wuyou.quality.urls")),
]
