"""Pod Security Standards, restricted profile, and the capability checks (NET_RAW dropped, none added).

Windows pods (spec.os.name: windows) are exempt from the Linux-only restricted
controls, as Pod Security Admission exempts them.
"""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.kubernetes.podspec import WORKLOAD, Template, per_container, verdict
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, passed

PSS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"


RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def _linux_only(resource: ResourceRecord) -> tuple[Template | None, Verdict | None]:
    """The template, or a PASS for Windows pods (exempt), or (None, None) when there is no pod template."""
    template = Template.of(resource)
    if template is not None and template.windows:
        return None, passed("Windows pods are exempt from this control", Evidence(template.path("os.name"), "windows"))
    return template, None


@rule(
    id="kubernetes.workloads.restricted_volume_types",
    title="Pods use only the restricted profile's volume types",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="Inline volume sources other than ConfigMaps, Secrets, projected, emptyDir, CSI and claims "
    "(hostPath, NFS, iSCSI, cloud disks) reach storage outside the cluster's access control.",
    remediation="Use a PersistentVolumeClaim for storage; keep inline volumes to configMap, secret, projected, "
    "downwardAPI, emptyDir, csi, ephemeral or image.",
    references=(PSS,),
)
def restricted_volume_types(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    offending = []
    for i, volume in enumerate(template.spec.get("volumes") or []):
        if not isinstance(volume, dict):
            continue
        sources = [k for k in volume if k != "name"]
        if any(s not in RESTRICTED_VOLUMES for s in sources):
            offending.append(Evidence(template.path("volumes", i), {"name": volume.get("name"), "types": sources}))
    return verdict(resource, offending, "only restricted volume types", "volume types outside the restricted set")


@rule(
    id="kubernetes.workloads.no_privilege_escalation",
    title="Containers set allowPrivilegeEscalation: false",
    severity="high",
    category="workload",
    resource_type=WORKLOAD,
    rationale="Unless it is explicitly false, a process can gain more privileges than its parent "
    "(setuid binaries, file capabilities).",
    remediation="Set securityContext.allowPrivilegeEscalation: false on every container.",
    references=(PSS,),
)
def no_privilege_escalation(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template, exempt = _linux_only(resource)
    if template is None:
        return exempt

    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        value = t.security(c).get("allowPrivilegeEscalation")
        return [Evidence(path + ".securityContext.allowPrivilegeEscalation", value)] if value is not False else []

    return per_container(resource, bad, "privilege escalation is off everywhere", "privilege escalation not disabled")


@rule(
    id="kubernetes.workloads.run_as_non_root",
    title="Containers must run as non-root",
    severity="high",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A container running as root is root on the node after any container escape, and can "
    "change files the image did not mean it to.",
    remediation="Set securityContext.runAsNonRoot: true on the pod (and never false on a container); "
    "build images with a non-root USER.",
    references=(PSS,),
)
def run_as_non_root(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    pod_level = template.pod_security.get("runAsNonRoot")

    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        value = t.security(c).get("runAsNonRoot")
        if value is False or (value is None and pod_level is not True):
            return [Evidence(path + ".securityContext.runAsNonRoot", value)]
        return []

    result = per_container(resource, bad, "every container must run as non-root", "containers may run as root")
    if result is not None and result.status == "FAIL":
        pod_evidence = Evidence(template.path("securityContext.runAsNonRoot"), pod_level)
        result = type(result)(result.status, result.message, (pod_evidence, *result.evidence))
    return result


@rule(
    id="kubernetes.workloads.run_as_user_not_root",
    title="No container sets runAsUser 0",
    severity="high",
    category="workload",
    resource_type=WORKLOAD,
    rationale="runAsUser: 0 runs the process as root whatever the image says.",
    remediation="Set runAsUser to a non-zero UID (or leave it unset with runAsNonRoot: true).",
    references=(PSS,),
)
def run_as_user_not_root(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    offending = []
    if template.pod_security.get("runAsUser") == 0:
        offending.append(Evidence(template.path("securityContext.runAsUser"), 0))
    for path, c in template.containers():
        if template.security(c).get("runAsUser") == 0:
            offending.append(Evidence(path + ".securityContext.runAsUser", 0))
    return verdict(resource, offending, "no container runs as UID 0", "runAsUser 0")


@rule(
    id="kubernetes.workloads.seccomp_runtime_default",
    title="A seccomp profile (RuntimeDefault or Localhost) is set",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="Without a seccomp profile most runtimes run containers unconfined: every system call "
    "is open to the process.",
    remediation="Set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod.",
    references=(PSS,),
)
def seccomp_runtime_default(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template, exempt = _linux_only(resource)
    if template is None:
        return exempt
    allowed = ("RuntimeDefault", "Localhost")
    pod_type = (template.pod_security.get("seccompProfile") or {}).get("type")

    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        value = (t.security(c).get("seccompProfile") or {}).get("type")
        if value in allowed or (value is None and pod_type in allowed):
            return []
        return [Evidence(path + ".securityContext.seccompProfile.type", value)]

    result = per_container(resource, bad, "a seccomp profile applies to every container", "no seccomp profile")
    if result is not None and result.status == "FAIL":
        pod_evidence = Evidence(template.path("securityContext.seccompProfile.type"), pod_type)
        result = type(result)(result.status, result.message, (pod_evidence, *result.evidence))
    return result


@rule(
    id="kubernetes.workloads.capabilities_restricted",
    title="Containers drop ALL capabilities and add at most NET_BIND_SERVICE",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="The runtime's default capability set is wider than most processes need; dropping ALL "
    "limits what a compromised process can do.",
    remediation="Set securityContext.capabilities.drop: [ALL] on every container; add back only NET_BIND_SERVICE.",
    references=(PSS,),
)
def capabilities_restricted(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template, exempt = _linux_only(resource)
    if template is None:
        return exempt

    # names compare exactly as written, as admission compares them: "all" is not ALL, "CAP_NET_BIND_SERVICE"
    # is not NET_BIND_SERVICE
    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        caps = t.security(c).get("capabilities") or {}
        found = []
        if "ALL" not in (caps.get("drop") or []):
            found.append(Evidence(path + ".securityContext.capabilities.drop", caps.get("drop")))
        if any(x != "NET_BIND_SERVICE" for x in caps.get("add") or []):
            found.append(Evidence(path + ".securityContext.capabilities.add", caps.get("add")))
        return found

    return per_container(resource, bad, "ALL capabilities dropped", "capabilities not dropped or added")


@rule(
    id="kubernetes.workloads.net_raw_dropped",
    title="Containers drop the NET_RAW capability",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="NET_RAW, granted by default, lets a container craft raw packets: ARP and DNS spoofing "
    "against its neighbours on the node.",
    remediation="Drop NET_RAW (or ALL) in securityContext.capabilities.drop and never add it.",
)
def net_raw_dropped(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    """A drop counts only as written ("NET_RAW" or "ALL", as admission reads a drop); an add counts in any
    spelling a runtime may honour (net_raw, CAP_NET_RAW): the doubt goes against the container."""

    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        caps = t.security(c).get("capabilities") or {}
        added = [str(x).upper().removeprefix("CAP_") for x in caps.get("add") or []]
        dropped = caps.get("drop") or []
        if "NET_RAW" in added or "ALL" in added:
            return [Evidence(path + ".securityContext.capabilities.add", caps.get("add"))]
        if "NET_RAW" not in dropped and "ALL" not in dropped:
            return [Evidence(path + ".securityContext.capabilities.drop", caps.get("drop"))]
        return []

    return per_container(resource, bad, "NET_RAW is dropped", "NET_RAW is not dropped")


@rule(
    id="kubernetes.workloads.capabilities_added",
    title="Containers add no capabilities",
    severity="low",
    category="workload",
    resource_type=WORKLOAD,
    rationale="Every added capability widens what a compromised container can do; most workloads need none.",
    remediation="Remove securityContext.capabilities.add, or document why each capability is needed.",
)
def capabilities_added(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        added = (t.security(c).get("capabilities") or {}).get("add")
        return [Evidence(path + ".securityContext.capabilities.add", added)] if added else []

    return per_container(resource, bad, "no capabilities added", "capabilities added")
