from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from frontend.views import accounts, assets, clusters, compliance, drift, findings, overview, scans, settings

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="frontend/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("vendor/htmx.min.js", login_not_required(assets.htmx_js), name="vendor-htmx"),
    path("", overview.home, name="home"),
    path("findings/", findings.findings, name="findings"),
    path("findings/export/", findings.export, name="findings-export"),
    path("findings/bulk/", findings.bulk, name="findings-bulk"),
    path("findings/<int:pk>/", findings.detail, name="finding-detail"),
    path("findings/<int:pk>/mute/", findings.mute, name="finding-mute"),
    path("findings/<int:pk>/unmute/", findings.unmute, name="finding-unmute"),
    path("compliance/", compliance.frameworks, name="compliance"),
    path("compliance/<str:framework_id>/", compliance.framework, name="compliance-framework"),
    path("compliance/<str:framework_id>/report/", compliance.report, name="compliance-report"),
    path("compliance/<str:framework_id>/controls/<str:control_id>/", compliance.control, name="compliance-control"),
    path("clusters/", clusters.clusters, name="clusters"),
    path("drift/", drift.drift_page, name="drift"),
    path("scans/", scans.scans, name="scans"),
    path("scans/start/", scans.start, name="scan-start"),
    path("scans/<int:pk>/", scans.detail, name="scan-detail"),
    path("scans/<int:pk>/row/", scans.scan_row, name="scan-row"),
    path("scans/<int:pk>/cancel/", scans.cancel, name="scan-cancel"),
    path("accounts/", accounts.accounts, name="accounts"),
    path("accounts/new/", accounts.new, name="account-new"),
    path("accounts/<int:pk>/", accounts.edit, name="account-edit"),
    path("accounts/<int:pk>/test/", accounts.test, name="account-test"),
    path("accounts/<int:pk>/remove/", accounts.remove, name="account-remove"),
    path("settings/", settings.settings_page, name="settings"),
    path("settings/mutes/", settings.mute_create, name="settings-mute-create"),
    path("settings/mutes/<int:pk>/revoke/", settings.mute_revoke, name="settings-mute-revoke"),
    path("settings/tokens/", settings.token_create, name="settings-token-create"),
    path("settings/tokens/<int:pk>/revoke/", settings.token_revoke, name="settings-token-revoke"),
    path("settings/users/<int:pk>/role/", settings.user_role, name="settings-user-role"),
]
