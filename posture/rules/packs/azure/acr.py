"""Azure Container Registry rules: admin user, network exposure, anonymous pull."""

from __future__ import annotations

from posture.rules.registry import field_rule

REGISTRY = "azure.acr.registry"
DOCS = "https://learn.microsoft.com/azure/container-registry/"

field_rule(
    id="azure.acr.admin_user_disabled",
    title="Container registry has the admin user disabled",
    severity="high",
    category="images",
    resource_type=REGISTRY,
    path="properties.adminUserEnabled",
    expect=lambda v: v is not True,
    ok="the admin user is disabled",
    bad="the admin user (a shared push/pull password) is enabled",
    rationale="The admin account is one shared credential with push rights; it cannot be scoped or attributed.",
    remediation="az acr update -n REGISTRY --admin-enabled false (use Entra identities and AcrPull/AcrPush roles)",
    references=(DOCS + "container-registry-authentication#admin-account",),
)
field_rule(
    id="azure.acr.public_network_access_disabled",
    title="Container registry disables public network access",
    severity="medium",
    category="exposure",
    resource_type=REGISTRY,
    path="properties.publicNetworkAccess",
    expect="Disabled",
    ok="public network access is disabled",
    bad="public network access is {value}",
    rationale="A registry reachable from the Internet exposes images and credentials' use to any network.",
    remediation="az acr update -n REGISTRY --public-network-enabled false (Premium: use private endpoints)",
    references=(DOCS + "container-registry-access-selected-networks",),
)
field_rule(
    id="azure.acr.anonymous_pull_disabled",
    title="Container registry does not allow anonymous pull",
    severity="high",
    category="exposure",
    resource_type=REGISTRY,
    path="properties.anonymousPullEnabled",
    expect=lambda v: v is not True,
    ok="anonymous pull is disabled",
    bad="anyone can pull images without credentials",
    rationale="Anonymous pull publishes every image, and whatever secrets or code they hold.",
    remediation="az acr update -n REGISTRY --anonymous-pull-enabled false",
    references=(DOCS + "anonymous-pull-access",),
)
