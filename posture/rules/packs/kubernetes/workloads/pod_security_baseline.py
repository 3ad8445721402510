"""Pod Security Standards, baseline profile: one rule per control, on the workload's pod template.

The checks follow the Pod Security Admission controller's (k8s.io/pod-security-admission/policy):
the same fields, the same allowed values. CIS Kubernetes 5.2.x maps onto them.
"""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.kubernetes.podspec import WORKLOAD, Template, per_container, verdict
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict

PSS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"


BASELINE_CAPABILITIES = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}


SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
}


SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


HOOKS = ("postStart", "preStop")


def _host_namespace(resource: ResourceRecord, field: str) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    value = template.spec.get(field)
    evidence = Evidence(template.path(field), value)
    return verdict(
        resource,
        [evidence] if value is True else [],
        f"{field} is not enabled",
        f"{field} is enabled",
        [evidence],
    )


@rule(
    id="kubernetes.workloads.host_pid",
    title="Workload does not share the host process ID namespace",
    severity="high",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A container in the host PID namespace sees and can signal every process on the node, "
    "and can read their environment and memory through /proc.",
    remediation="Remove hostPID: true from the pod spec.",
    references=(PSS,),
)
def host_pid(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _host_namespace(resource, "hostPID")


@rule(
    id="kubernetes.workloads.host_ipc",
    title="Workload does not share the host IPC namespace",
    severity="high",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A container in the host IPC namespace can read and write the shared memory of every process "
    "on the node.",
    remediation="Remove hostIPC: true from the pod spec.",
    references=(PSS,),
)
def host_ipc(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _host_namespace(resource, "hostIPC")


@rule(
    id="kubernetes.workloads.host_network",
    title="Workload does not share the host network namespace",
    severity="high",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A container on the host network bypasses network policies, can bind node ports and sniff "
    "the node's traffic, and reaches services bound to localhost.",
    remediation="Remove hostNetwork: true from the pod spec; expose the workload through a Service.",
    references=(PSS,),
)
def host_network(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _host_namespace(resource, "hostNetwork")


@rule(
    id="kubernetes.workloads.privileged_containers",
    title="No privileged containers",
    severity="critical",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A privileged container has every capability and every host device: it is root on the node.",
    remediation="Remove securityContext.privileged: true; grant only the capabilities the process needs.",
    references=(PSS,),
)
def privileged_containers(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        value = t.security(c).get("privileged")
        return [Evidence(path + ".securityContext.privileged", value)] if value is True else []

    return per_container(resource, bad, "no container is privileged", "privileged containers")


@rule(
    id="kubernetes.workloads.windows_host_process",
    title="No Windows HostProcess containers",
    severity="critical",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A Windows HostProcess container runs directly on the node with host access: the Windows "
    "equivalent of a privileged container.",
    remediation="Remove securityContext.windowsOptions.hostProcess: true from the pod and its containers.",
    references=(PSS,),
)
def windows_host_process(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    offending = []
    if (template.pod_security.get("windowsOptions") or {}).get("hostProcess") is True:
        offending.append(Evidence(template.path("securityContext.windowsOptions.hostProcess"), True))
    for path, c in template.containers():
        if (template.security(c).get("windowsOptions") or {}).get("hostProcess") is True:
            offending.append(Evidence(path + ".securityContext.windowsOptions.hostProcess", True))
    return verdict(resource, offending, "no HostProcess containers", "HostProcess enabled")


@rule(
    id="kubernetes.workloads.capabilities_baseline",
    title="Containers add no capabilities beyond the baseline set",
    severity="high",
    category="workload",
    resource_type=WORKLOAD,
    rationale="Capabilities outside the container runtime's default set (SYS_ADMIN, NET_ADMIN, NET_RAW, "
    "SYS_PTRACE...) open paths to the node kernel and other workloads.",
    remediation="Remove capabilities outside the baseline set from securityContext.capabilities.add.",
    references=(PSS,),
)
def capabilities_baseline(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        added = (t.security(c).get("capabilities") or {}).get("add") or []
        # compared exactly as written, as admission compares them: "chown" and "CAP_CHOWN" are not CHOWN
        extra = [cap for cap in added if cap not in BASELINE_CAPABILITIES]
        return [Evidence(path + ".securityContext.capabilities.add", added)] if extra else []

    return per_container(resource, bad, "only baseline capabilities are added", "capabilities beyond baseline")


@rule(
    id="kubernetes.workloads.host_path_volumes",
    title="No hostPath volumes",
    severity="high",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A hostPath volume exposes the node's filesystem to the container: container runtime "
    "sockets, kubelet credentials, other pods' data.",
    remediation="Use emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret instead of hostPath.",
    references=(PSS,),
)
def host_path_volumes(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    offending = [
        Evidence(template.path("volumes", i, "hostPath.path"), (v.get("hostPath") or {}).get("path"))
        for i, v in enumerate(template.spec.get("volumes") or [])
        if isinstance(v, dict) and v.get("hostPath") is not None
    ]
    return verdict(resource, offending, "no hostPath volumes", "hostPath volumes")


@rule(
    id="kubernetes.workloads.host_ports",
    title="Containers bind no host ports",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A hostPort publishes the container on the node's address, bypassing Services and network "
    "policies, and ties the pod to nodes where the port is free.",
    remediation="Remove hostPort from the container ports; expose the workload through a Service.",
    references=(PSS,),
)
def host_ports(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        return [
            Evidence(f"{path}.ports.{i}.hostPort", p.get("hostPort"))
            for i, p in enumerate(c.get("ports") or [])
            if isinstance(p, dict) and p.get("hostPort") not in (None, 0)
        ]

    return per_container(resource, bad, "no host ports", "host ports bound")


@rule(
    id="kubernetes.workloads.host_probes",
    title="Probes and lifecycle hooks do not target other hosts",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A probe or hook with a host field makes the kubelet connect to any address it names: "
    "a way to reach node-local or internal services from the kubelet's network position.",
    remediation="Remove the host field from httpGet and tcpSocket probes and lifecycle hooks.",
    references=(PSS,),
)
def host_probes(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        found = []
        handlers = [(f"{path}.{p}", c.get(p)) for p in PROBES]
        handlers += [(f"{path}.lifecycle.{h}", (c.get("lifecycle") or {}).get(h)) for h in HOOKS]
        for where, handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = ((handler or {}).get(action) or {}).get("host")
                if host:
                    found.append(Evidence(f"{where}.{action}.host", host))
        return found

    return per_container(resource, bad, "no probe or hook names a host", "probes or hooks target a host")


@rule(
    id="kubernetes.workloads.apparmor_not_unconfined",
    title="AppArmor is not disabled",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="An Unconfined AppArmor profile removes the runtime's default confinement of the container.",
    remediation="Remove appArmorProfile type Unconfined (and unconfined AppArmor annotations); use RuntimeDefault.",
    references=(PSS,),
)
def apparmor_not_unconfined(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    offending = []
    if (template.pod_security.get("appArmorProfile") or {}).get("type") == "Unconfined":
        offending.append(Evidence(template.path("securityContext.appArmorProfile.type"), "Unconfined"))
    for path, c in template.containers():
        if (template.security(c).get("appArmorProfile") or {}).get("type") == "Unconfined":
            offending.append(Evidence(path + ".securityContext.appArmorProfile.type", "Unconfined"))
    where, annotations = template.annotations()
    for key, value in annotations.items():
        apparmor = str(key).startswith("container.apparmor.security.beta.kubernetes.io/")
        if apparmor and value != "runtime/default" and not str(value).startswith("localhost/"):
            offending.append(Evidence(f"{where}.{key}", value))
    return verdict(resource, offending, "AppArmor is not set to unconfined", "AppArmor unconfined")


@rule(
    id="kubernetes.workloads.selinux_options",
    title="SELinux options stay within the allowed types",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="Custom SELinux users, roles or types can lift the container out of its SELinux confinement.",
    remediation="Remove seLinuxOptions user and role; use only the container_t family of types.",
    references=(PSS,),
)
def selinux_options(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    contexts = [(template.path("securityContext.seLinuxOptions"), template.pod_security.get("seLinuxOptions"))]
    contexts += [
        (p + ".securityContext.seLinuxOptions", template.security(c).get("seLinuxOptions"))
        for p, c in template.containers()
    ]
    offending = []
    for where, options in contexts:
        options = options or {}
        if str(options.get("type") or "") not in SELINUX_TYPES:
            offending.append(Evidence(where + ".type", options.get("type")))
        for field in ("user", "role"):
            if options.get(field):
                offending.append(Evidence(f"{where}.{field}", options[field]))
    return verdict(resource, offending, "no custom SELinux options", "SELinux options outside the allowed set")


@rule(
    id="kubernetes.workloads.proc_mount_default",
    title="Containers use the default /proc mount",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="An Unmasked /proc mount exposes kernel interfaces the runtime normally masks.",
    remediation="Remove securityContext.procMount or set it to Default.",
    references=(PSS,),
)
def proc_mount_default(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    def bad(t: Template, path: str, c: dict[str, Any]) -> list[Evidence]:
        value = t.security(c).get("procMount")
        return [Evidence(path + ".securityContext.procMount", value)] if value not in (None, "Default") else []

    return per_container(resource, bad, "/proc is masked as usual", "unmasked /proc mounts")


@rule(
    id="kubernetes.workloads.seccomp_not_unconfined",
    title="Seccomp is not disabled",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="An Unconfined seccomp profile lets the container make every system call, widening the "
    "kernel attack surface.",
    remediation="Set seccompProfile type RuntimeDefault (or Localhost) instead of Unconfined.",
    references=(PSS,),
)
def seccomp_not_unconfined(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    offending = []
    if (template.pod_security.get("seccompProfile") or {}).get("type") == "Unconfined":
        offending.append(Evidence(template.path("securityContext.seccompProfile.type"), "Unconfined"))
    for path, c in template.containers():
        if (template.security(c).get("seccompProfile") or {}).get("type") == "Unconfined":
            offending.append(Evidence(path + ".securityContext.seccompProfile.type", "Unconfined"))
    return verdict(resource, offending, "seccomp is not unconfined", "seccomp unconfined")


@rule(
    id="kubernetes.workloads.safe_sysctls",
    title="Only safe sysctls are set",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="Sysctls outside the namespaced safe set change kernel settings for every pod on the node.",
    remediation="Remove sysctls outside the safe set from spec.securityContext.sysctls.",
    references=(PSS,),
)
def safe_sysctls(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    offending = [
        Evidence(template.path("securityContext.sysctls", i, "name"), s.get("name"))
        for i, s in enumerate(template.pod_security.get("sysctls") or [])
        if isinstance(s, dict) and s.get("name") not in SAFE_SYSCTLS
    ]
    return verdict(resource, offending, "only safe sysctls", "unsafe sysctls")
