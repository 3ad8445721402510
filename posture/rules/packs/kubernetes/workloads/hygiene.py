"""Workload checks outside the Pod Security Standards: service accounts, images, secrets, limits, namespaces."""

from __future__ import annotations

from datetime import UTC, datetime
from fnmatch import fnmatch
from typing import Any

from collectors.kubernetes.objects import REDACTED, literal_secret
from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.kubernetes.context_index import by_namespace_and_name
from posture.rules.packs.kubernetes.digests import pinned
from posture.rules.packs.kubernetes.podspec import (
    WORKLOAD,
    Template,
    live_pods,
    per_container,
    pods_evidence,
    verdict,
)
from posture.rules.packs.kubernetes.settings import rule_settings
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check


@rule(
    id="kubernetes.workloads.secrets_as_env",
    title="Secrets are mounted as files, not passed as environment variables",
    severity="medium",
    category="encryption",
    resource_type=WORKLOAD,
    rationale="Environment variables leak into logs, crash dumps and child processes; a secret mounted as "
    "a file does not, and is updated in place when rotated.",
    remediation="Mount the Secret as a volume instead of env valueFrom.secretKeyRef or envFrom.secretRef.",
)
def secrets_as_env(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        found = [
            Evidence(f"{path}.env.{i}.valueFrom.secretKeyRef.name", e["valueFrom"]["secretKeyRef"].get("name"))
            for i, e in enumerate(c.get("env") or [])
            if isinstance(e, dict) and isinstance((e.get("valueFrom") or {}).get("secretKeyRef"), dict)
        ]
        found += [
            Evidence(f"{path}.envFrom.{i}.secretRef.name", e["secretRef"].get("name"))
            for i, e in enumerate(c.get("envFrom") or [])
            if isinstance(e, dict) and isinstance(e.get("secretRef"), dict)
        ]
        return found

    return per_container(resource, bad, "no secret is passed through the environment", "secrets in env")


@rule(
    id="kubernetes.workloads.literal_secret_in_env",
    title="No literal secret values in environment variables",
    severity="high",
    category="encryption",
    resource_type=WORKLOAD,
    rationale="A password or key written into the pod spec is readable by anyone who can read the workload "
    "and is kept in every revision and manifest. (Posture redacts the value it saw.)",
    remediation="Move the value into a Secret (or an external secret store) and mount it as a file.",
)
def literal_secret_in_env(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    """A value the collector redacted (whole, or a credential inside it), or a secret's name with a literal
    value; a name that only says where the secret is (``*_FILE=/run/secrets/x``, ``$(VAR)``, a secret
    store's reference) is not, nor is ``valueFrom`` (no literal at all)."""

    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        return [
            Evidence(f"{path}.env.{i}.name", e.get("name"))
            for i, e in enumerate(c.get("env") or [])
            if isinstance(e, dict)
            and isinstance(e.get("value"), str)
            and e["value"]
            and (REDACTED in e["value"] or literal_secret(str(e.get("name", "")), e["value"]))
        ]

    return per_container(resource, bad, "no secret-looking literal in env", "secret-looking literal env values")


@rule(
    id="kubernetes.workloads.not_in_default_namespace",
    title="Workload does not run in the default namespace",
    severity="low",
    category="workload",
    resource_type=WORKLOAD,
    rationale="The default namespace has no boundary of its own: RBAC, quotas and network policies are "
    "written per namespace, and everything dropped in default shares them.",
    remediation="Create a namespace for the application and deploy it there.",
)
def not_in_default_namespace(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    namespace = (resource.config.get("metadata") or {}).get("namespace")
    if not namespace:
        return None  # a manifest without a namespace: decided at deploy time
    evidence = Evidence("metadata.namespace", namespace)
    return check(
        namespace != "default", "not in default", "runs in the default namespace", evidence, *pods_evidence(resource)
    )


@rule(
    id="kubernetes.workloads.dedicated_service_account",
    title="Workload uses its own service account, not default",
    severity="medium",
    category="identity",
    resource_type=WORKLOAD,
    rationale="Every pod without a service account runs as the namespace's default one; permissions "
    "granted to it reach every such pod.",
    remediation="Create a service account for the workload and set spec.serviceAccountName.",
)
def dedicated_service_account(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    name = template.spec.get("serviceAccountName") or template.spec.get("serviceAccount")
    evidence = Evidence(template.path("serviceAccountName"), name)
    bad = [evidence] if name in (None, "", "default") else []
    return verdict(resource, bad, f"runs as service account {name}", "runs as the default service account", [evidence])


@rule(
    id="kubernetes.workloads.service_account_token_not_mounted",
    title="Service account token is mounted only where needed",
    severity="medium",
    category="identity",
    resource_type=WORKLOAD,
    rationale="A mounted token lets anyone who compromises the container call the API server as the pod's "
    "service account; most applications never call it.",
    remediation="Set automountServiceAccountToken: false on the pod spec (or its service account) unless "
    "the application talks to the API server.",
)
def service_account_token_not_mounted(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    pod_value = template.spec.get("automountServiceAccountToken")
    evidence = [Evidence(template.path("automountServiceAccountToken"), pod_value)]
    if pod_value is None:
        namespace = (resource.config.get("metadata") or {}).get("namespace")
        sa_name = template.spec.get("serviceAccountName") or "default"
        sa = by_namespace_and_name(ctx, "kubernetes.core.serviceaccount").get((str(namespace or ""), sa_name))
        if sa is not None:
            pod_value = sa.config.get("automountServiceAccountToken")
            evidence.append(Evidence(f"serviceAccount[{sa.uid}].automountServiceAccountToken", pod_value))
    bad = evidence if pod_value is not False else []
    return verdict(resource, bad, "the token is not mounted", "the service account token is mounted", evidence)


@rule(
    id="kubernetes.workloads.read_only_root_filesystem",
    title="Containers have a read-only root filesystem",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A writable root filesystem lets an intruder drop tools and persist changes inside the container.",
    remediation="Set securityContext.readOnlyRootFilesystem: true; mount emptyDir volumes where the process writes.",
)
def read_only_root_filesystem(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        if path.split(".")[-2] == "ephemeralContainers":
            return []
        value = t.security(c).get("readOnlyRootFilesystem")
        return [Evidence(path + ".securityContext.readOnlyRootFilesystem", value)] if value is not True else []

    return per_container(resource, bad, "root filesystems are read-only", "writable root filesystems")


def image_registry(image: str) -> str:
    """The registry host of an image reference (``docker.io`` when the first part is not a host)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return "docker.io"


@rule(
    id="kubernetes.workloads.image_registry_allowed",
    title="Images come from allowed registries",
    severity="high",
    category="images",
    resource_type=WORKLOAD,
    rationale="Images from registries outside the organisation's allowlist escape its scanning, signing "
    "and provenance controls.",
    remediation="Pull the image from (or mirror it into) an allowed registry; the allowlist is the "
    "POSTURE_K8S_ALLOWED_REGISTRIES setting.",
)
def image_registry_allowed(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    allowed = rule_settings().allowed_registries

    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        image = str(c.get("image") or "")
        registry = image_registry(image)
        return [] if any(fnmatch(registry, pattern) for pattern in allowed) else [Evidence(path + ".image", image)]

    return per_container(resource, bad, "every image comes from an allowed registry", "images from unlisted registries")


@rule(
    id="kubernetes.workloads.image_pinned_by_digest",
    title="Images are pinned by digest, not a mutable tag",
    severity="low",
    category="images",
    resource_type=WORKLOAD,
    rationale="A tag (latest above all) can be moved to other content: the cluster may run an image nobody "
    "reviewed, and two pods of one workload may run different code.",
    remediation="Reference images by their full digest (name@sha256:<64 hex>), as CI resolved and scanned them.",
)
def image_pinned_by_digest(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    """Pinned means a well-formed digest: a registered algorithm (sha256, sha384, sha512) and its full length."""

    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        image = str(c.get("image") or "")
        return [] if pinned(image) else [Evidence(path + ".image", image)]

    result = per_container(resource, bad, "every image is pinned by digest", "images by mutable tag")
    if (
        result is not None
        and result.status == "FAIL"
        and any(
            e.path.endswith(".image")
            and (str(e.value).endswith(":latest") or ":" not in str(e.value).rsplit("/", 1)[-1])
            for e in result.evidence
        )
    ):
        result = type(result)(result.status, result.message + " (latest or no tag)", result.evidence)
    return result


def _parse_time(raw: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def restarts_evidence(resource: ResourceRecord) -> list[Evidence]:
    """``pod/container -> restartCount`` for the running pods' containers that restarted (a restart is a
    replacement too)."""
    restarts = {
        f"{pod.get('name')}/{c.get('name')}": c["restartCount"]
        for pod in live_pods(resource)
        for c in pod.get("containers") or []
        if isinstance(c, dict) and isinstance(c.get("restartCount"), int) and c["restartCount"] > 0
    }
    return [Evidence("_pods.restarts", restarts)] if restarts else []


@rule(
    id="kubernetes.workloads.pods_recently_replaced",
    title="Pods are replaced within the drift window",
    severity="low",
    category="images",
    resource_type=WORKLOAD,
    rationale="Long-lived containers drift from their images (patched base images, rotated secrets, changes "
    "made at runtime); replacing them regularly from fresh images bounds that drift.",
    remediation="Redeploy (kubectl rollout restart) from a freshly built image; the window is the "
    "POSTURE_K8S_MAX_POD_AGE_DAYS setting (default 30).",
)
def pods_recently_replaced(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    """The oldest *running* pod's start, restarts as evidence.

    A Succeeded, Failed or evicted pod runs nothing, however old: its start does not count. The listed pods
    decide when the list is whole; past the listed few, the collector's ``_oldestPodStart`` (pods in phase
    Running only) counts too.
    """
    started = _oldest_running_start(resource)
    oldest = _parse_time(started) if started else None
    if oldest is None:
        return None  # no running pods seen (or a manifest)
    days = (datetime.now(UTC) - oldest).total_seconds() / 86400
    limit = rule_settings().max_pod_age_days
    evidence = [
        Evidence("_oldestPodStart", started),
        *pods_evidence(resource),
        *restarts_evidence(resource),
    ]
    return check(
        days <= limit,
        f"the oldest pod has run {days:.0f} days (limit {limit})",
        f"a pod has run {days:.0f} days, more than {limit}",
        *evidence,
    )


def _oldest_running_start(resource: ResourceRecord) -> str | None:
    pods = resource.config.get("_pods")
    recorded = resource.config.get("_oldestPodStart")
    if not isinstance(pods, list) or not pods:
        return str(recorded) if recorded else None
    starts = [str(p["startTime"]) for p in live_pods(resource) if p.get("startTime") and _parse_time(p["startTime"])]
    count = resource.config.get("_podCount")
    if recorded and isinstance(count, int) and count > len(pods):  # more pods than listed
        starts.append(str(recorded))
    return min(starts, key=lambda s: _parse_time(s) or datetime.max.replace(tzinfo=UTC)) if starts else None


@rule(
    id="kubernetes.workloads.resource_limits",
    title="Containers set CPU and memory limits",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A container without limits can starve its neighbours on the node (noisy neighbour, or a "
    "deliberate denial of service after a compromise).",
    remediation="Set resources.limits.cpu and resources.limits.memory on every container.",
)
def resource_limits(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        if path.split(".")[-2] == "ephemeralContainers":
            return []
        limits = (c.get("resources") or {}).get("limits") or {}
        missing = [k for k in ("cpu", "memory") if not limits.get(k)]
        return [Evidence(path + ".resources.limits", limits or None)] if missing else []

    return per_container(resource, bad, "every container has CPU and memory limits", "containers without limits")
