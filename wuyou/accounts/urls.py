"""Login, the second factor after it, and logout; the user's in-app inbox."""

from django.contrib.auth import views as auth_views
from django.urls import path

from wuyou.accounts.views import inbox
from wuyou.accounts.views.login import LoginView
from wuyou.accounts.views.second_factor import EnrolmentView, SecondFactorView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("login/code/", SecondFactorView.as_view(), name="second_factor_verify"),
    path("login/authenticator/", EnrolmentView.as_view(), name="second_factor_setup"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The in-app inbox of messages to the user (views/inbox.py)
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/bell/", inbox.inbox_bell, name="inbox_bell"),
    path("inbox/read-all/", inbox.inbox_read_all, name="inbox_read_all"),
    path("inbox/<int:message_id>/read/", inbox.inbox_read, name="inbox_read"),
]
