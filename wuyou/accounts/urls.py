"""Login, the second factor after it, and logout."""

from django.contrib.auth import views as auth_views
from django.urls import path

from wuyou.accounts.views.login import LoginView
from wuyou.accounts.views.second_factor import EnrolmentView, SecondFactorView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("login/code/", SecondFactorView.as_view(), name="second_factor_verify"),
    path("login/authenticator/", EnrolmentView.as_view(), name="second_factor_setup"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
