from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # The admin site signs in through Posture's own sign-in (TOTP, SSO, lockout), not its own form.
    path("admin/login/", login_not_required(RedirectView.as_view(pattern_name="login", query_string=True))),
    path("admin/", admin.site.urls),
    path("api/v1/", include("posture.api.urls")),
    path("", include("frontend.urls")),
]
