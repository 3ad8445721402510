"""The clusters the emulator serves: :func:`demo_estate` (well-kept and neglected parts side by side) and
:func:`large_estate` (N namespaces, M pods) for the benchmark."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from emulators.images import ALL_IMAGES, DemoImage, deployment_name
from emulators.kubernetes import kubelet as kubelet_config
from emulators.kubernetes.estate import DIGEST, KUBE_SYSTEM_UID, Estate, timestamp
from emulators.kubernetes.scenario_boundaries import add_access_and_certificates


def container(name: str, image: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **extra}


def hardened_spec(image: str, service_account: str) -> dict[str, Any]:
    """A pod spec that passes the restricted profile and the container-stack checks."""
    return {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            container(
                "app",
                image,
                securityContext={
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                resources={
                    "limits": {"cpu": "500m", "memory": "256Mi"},
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                },
                ports=[{"containerPort": 8080, "protocol": "TCP"}],
            )
        ],
    }


def neglected_spec() -> dict[str, Any]:
    """A pod spec that breaks most of the rules at once."""
    return {
        "hostPID": True,
        "hostNetwork": True,
        "volumes": [{"name": "root", "hostPath": {"path": "/", "type": "Directory"}}],
        "containers": [
            container(
                "miner",
                "evil.example.com/miner:latest",
                securityContext={"privileged": True, "runAsUser": 0, "capabilities": {"add": ["NET_RAW", "SYS_ADMIN"]}},
                ports=[{"containerPort": 3333, "hostPort": 3333, "protocol": "TCP"}],
                env=[
                    {"name": "DB_PASSWORD", "value": "hunter2-not-a-real-one"},
                    {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "deployer-token", "key": "token"}}},
                ],
                volumeMounts=[{"name": "root", "mountPath": "/host"}],
            )
        ],
    }


def _cluster_basics(estate: Estate, namespaces: list[tuple[str, dict]]) -> None:
    for name, labels in namespaces:
        uid = KUBE_SYSTEM_UID if name == "kube-system" else ""
        estate.add(
            "Namespace",
            name,
            labels={"kubernetes.io/metadata.name": name, **labels},
            uid=uid,
            spec={"finalizers": ["kubernetes"]},
            status={"phase": "Active"},
        )
        estate.add("ServiceAccount", "default", name)
    admin_rules = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}]
    boot = {"kubernetes.io/bootstrapping": "rbac-defaults"}
    estate.add("ClusterRole", "cluster-admin", labels=boot, rules=admin_rules)
    estate.add(
        "ClusterRoleBinding",
        "cluster-admin",
        labels=boot,
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}],
    )


def _node(estate: Estate, name: str, kubelet: str, configz: dict[str, Any] | None = None) -> None:
    estate.kubelet_configs[name] = configz or kubelet_config.hardened()
    estate.add(
        "Node",
        name,
        labels={"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
        spec={"podCIDR": "10.244.0.0/24"},
        status={
            "nodeInfo": {
                "kubeletVersion": kubelet,
                "kubeProxyVersion": kubelet,
                "osImage": "Ubuntu 22.04.4 LTS",
                "containerRuntimeVersion": "containerd://1.7.18",
                "kernelVersion": "5.15.0-113-generic",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "machineID": name,
                "systemUUID": name,
                "bootID": name,
            },
            "conditions": [{"type": "Ready", "status": "True"}],
            "images": [{"names": ["registry.k8s.io/pause:3.9"], "sizeBytes": 321520}],
        },
    )


def oddities_spec() -> dict[str, Any]:
    """A pod spec with the rarer baseline violations: probes to other hosts, unconfined profiles, unsafe sysctls."""
    return {
        "serviceAccountName": "deployer",
        "securityContext": {
            "seccompProfile": {"type": "Unconfined"},
            "seLinuxOptions": {"user": "system_u"},
            "sysctls": [{"name": "kernel.msgmax", "value": "65536"}],
            "windowsOptions": {"hostProcess": True},
        },
        "volumes": [{"name": "share", "nfs": {"server": "10.0.0.9", "path": "/exports"}}],
        "containers": [
            container(
                "worker",
                f"quay.io/acme/worker{DIGEST}",
                securityContext={
                    "procMount": "Unmasked",
                    "appArmorProfile": {"type": "Unconfined"},
                    "runAsNonRoot": False,
                    "allowPrivilegeEscalation": True,
                },
                livenessProbe={"httpGet": {"host": "169.254.169.254", "path": "/", "port": 80}},
                envFrom=[{"secretRef": {"name": "db-credentials"}}],
                resources={"limits": {"cpu": "1", "memory": "1Gi"}},
            )
        ],
    }


def _oddities(e: Estate) -> None:
    selector = {"app": "oddities"}
    sts = e.add(
        "StatefulSet",
        "oddities",
        "legacy",
        spec={
            "serviceName": "oddities",
            "replicas": 1,
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": selector}, "spec": oddities_spec()},
        },
        status={"replicas": 1},
    )
    e.pods(e.owner_ref("apps/v1", "StatefulSet", sts), "legacy", "oddities", oddities_spec(), 1, timedelta(days=10))


def demo_estate(now: datetime | None = None, *, images: bool = False) -> Estate:
    """A small cluster: namespace ``shop`` well kept, ``legacy`` neglected, a bare pod in ``default``; with
    ``images`` (the demo's kubeconfig cluster), the demo's scanned and unscanned images (:mod:`emulators.images`)
    running in namespace ``payments``."""
    e = Estate(now=now)
    restricted = {"pod-security.kubernetes.io/enforce": "restricted"}
    _cluster_basics(
        e,
        [
            ("default", {}),
            ("kube-system", {}),
            ("kube-public", {}),
            ("kube-node-lease", {}),
            ("shop", restricted),
            ("legacy", {}),
            ("monitoring", {}),
            *([("payments", restricted)] if images else []),
        ],
    )
    e.objects("ServiceAccount")[4]["automountServiceAccountToken"] = False  # shop/default
    e.add("ServiceAccount", "web", "shop", automountServiceAccountToken=False)
    e.add("ServiceAccount", "deployer", "legacy")
    _node(e, "node-1", "v1.30.4")
    _node(e, "node-2", "v1.27.3", kubelet_config.weak())
    e.deployment("shop", "web", hardened_spec(f"ghcr.io/acme/web{DIGEST}", "web"))
    e.deployment("legacy", "miner", neglected_spec(), replicas=1, started=timedelta(days=90))
    e.daemonset(
        "monitoring",
        "falco",
        {
            "serviceAccountName": "falco",
            "hostPID": True,
            "containers": [
                container(
                    "falco",
                    f"docker.io/falcosecurity/falco{DIGEST}",
                    securityContext={"privileged": True},
                    resources={"limits": {"cpu": "1", "memory": "1Gi"}},
                )
            ],
        },
    )
    e.add(
        "Pod",
        "debug",
        "default",
        spec={"containers": [container("debug", "busybox")]},
        status={"phase": "Running", "startTime": timestamp(e.now - timedelta(days=3))},
    )
    cron = e.add(
        "CronJob",
        "backup",
        "legacy",
        spec={
            "schedule": "0 3 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "hostIPC": True,
                            "restartPolicy": "OnFailure",
                            "containers": [container("backup", "docker.io/library/postgres:16")],
                        }
                    }
                }
            },
        },
    )
    job = e.add(
        "Job",
        "backup-28801",
        "legacy",
        owner=e.owner_ref("batch/v1", "CronJob", cron),
        spec={"template": cron["spec"]["jobTemplate"]["spec"]["template"]},
        status={"active": 1},
    )
    e.pods(
        e.owner_ref("batch/v1", "Job", job),
        "legacy",
        "backup-28801",
        cron["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        1,
        timedelta(hours=2),
    )
    _oddities(e)
    add_access_and_certificates(e)
    rbac = "rbac.authorization.k8s.io"
    e.add(
        "ClusterRole", "secret-reader", rules=[{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]
    )
    e.add("ClusterRole", "pod-maker", rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}])
    e.add("Role", "everything", "legacy", rules=[{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
    e.add("Role", "web-reader", "shop", rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}])
    # an on-call role that reaches every kubelet and shell (nodes/proxy, pods/exec), bound to a group
    debug_rules = [
        {"apiGroups": [""], "resources": ["nodes", "nodes/proxy"], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]},
    ]
    e.add("ClusterRole", "node-debugger", rules=debug_rules)
    e.add(
        "ClusterRoleBinding",
        "oncall-node-debugger",
        roleRef={"apiGroup": rbac, "kind": "ClusterRole", "name": "node-debugger"},
        subjects=[{"apiGroup": rbac, "kind": "Group", "name": "oncall"}],
    )
    e.add(
        "ClusterRoleBinding",
        "ci-admin",
        roleRef={"apiGroup": rbac, "kind": "ClusterRole", "name": "cluster-admin"},
        subjects=[{"kind": "ServiceAccount", "name": "deployer", "namespace": "legacy"}],
    )
    e.add(
        "ClusterRoleBinding",
        "anonymous-view",
        roleRef={"apiGroup": rbac, "kind": "ClusterRole", "name": "view"},
        subjects=[{"apiGroup": rbac, "kind": "User", "name": "system:anonymous"}],
    )
    e.add(
        "RoleBinding",
        "web-reader",
        "shop",
        roleRef={"apiGroup": rbac, "kind": "Role", "name": "web-reader"},
        subjects=[{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}],
    )
    e.add("NetworkPolicy", "default-deny", "shop", spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    e.add(
        "Service",
        "web",
        "shop",
        spec={
            "type": "ClusterIP",
            "selector": {"app": "web"},
            "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}],
        },
    )
    e.add(
        "Service",
        "miner-lb",
        "legacy",
        spec={
            "type": "LoadBalancer",
            "selector": {"app": "miner"},
            "ports": [{"port": 3333, "protocol": "TCP", "nodePort": 30333}],
        },
    )
    e.add(
        "Ingress",
        "web",
        "shop",
        spec={
            "tls": [{"hosts": ["shop.example.com"], "secretName": "web-tls"}],
            "rules": [{"host": "shop.example.com"}],
        },
    )
    e.add("Ingress", "miner", "legacy", spec={"rules": [{"host": "miner.example.com"}]})
    e.add("Secret", "db-credentials", "shop", type="Opaque", data={"password": "c3VwZXItc2VjcmV0LXZhbHVl"})
    e.add(
        "Secret",
        "deployer-token",
        "legacy",
        type="kubernetes.io/service-account-token",
        annotations={"kubernetes.io/service-account.name": "deployer"},
        data={"token": "ZXlKaGJHY2lPaUpTVXpJMU5pSjk="},
    )
    e.add("ConfigMap", "web-config", "shop", data={"LOG_LEVEL": "info"})
    e.add(
        "ConfigMap",
        "app-config",
        "legacy",
        data={"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "MODE": "x"},
    )
    e.add(
        "ValidatingWebhookConfiguration",
        "kyverno-resource-validating-webhook-cfg",
        labels={"app.kubernetes.io/part-of": "kyverno"},
        webhooks=[
            {
                "name": "validate.kyverno.svc-fail",
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "clientConfig": {
                    "service": {"name": "kyverno-svc", "namespace": "kyverno", "path": "/validate"},
                    "caBundle": "LS0tLS1CRUdJTi0tLS0t",
                },
            }
        ],
    )
    _applied_and_restarted(e)
    if images:
        _catalogue_images(e)
    return e


def _catalogue_images(e: Estate) -> None:
    """The demo's images (:mod:`emulators.images`), a hardened Deployment each in ``payments``."""
    e.add("ServiceAccount", "payments", "payments", automountServiceAccountToken=False)
    e.add("NetworkPolicy", "default-deny", "payments", spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    run_images(e, ALL_IMAGES, "payments", "payments")


def run_images(e: Estate, images: list[DemoImage], namespace: str, service_account: str = "default") -> None:
    """One hardened single-pod Deployment per image, named by :func:`emulators.images.deployment_name`, whose
    pod's ``imageID`` carries the image's catalogue digest (the tag resolves to it)."""
    for image in images:
        e.tag_digests[image.ref] = image.digest
        e.deployment(namespace, deployment_name(image), hardened_spec(image.ref, service_account), replicas=1)


def _applied_and_restarted(e: Estate) -> None:
    """``kubectl apply`` copies (web as applied; miner's image changed by hand since, and its applied copy holds
    a literal password), a miner pod that keeps restarting, and a falco pod running another digest than pinned."""
    e.record_last_applied("Deployment", "shop", "web")
    miner = next(d for d in e.objects("Deployment") if d["metadata"]["name"] == "miner")
    template = json.loads(json.dumps(miner["spec"]["template"]))
    template["spec"]["containers"][0]["image"] = "evil.example.com/miner:1.0"
    e.record_last_applied("Deployment", "legacy", "miner", template=template)
    e.restarts["miner-7d4b9c-00000"] = 3
    e.running_digests["falco-00001"] = "sha256:" + "0f" * 32  # one falco pod runs another image than pinned
    e.refresh_statuses()


def large_estate(namespaces: int = 200, pods: int = 20000, now: datetime | None = None) -> Estate:
    """``namespaces`` namespaces sharing ``pods`` pods in Deployments of 10 (half hardened, half neglected)."""
    e = Estate(now=now)
    _cluster_basics(e, [("default", {}), ("kube-system", {})] + [(f"team-{n:04d}", {}) for n in range(namespaces)])
    for n in range(10):
        _node(e, f"node-{n}", "v1.30.4" if n % 3 else "v1.28.9", kubelet_config.drifted() if n == 1 else None)
    per_deployment, made, index = 10, 0, 0
    while made < pods:
        namespace = f"team-{index % namespaces:04d}"
        replicas = min(per_deployment, pods - made)
        spec = hardened_spec(f"ghcr.io/acme/app{DIGEST}", "default") if index % 2 else neglected_spec()
        e.deployment(
            namespace, f"app-{index:05d}", spec, replicas=replicas, started=timedelta(days=2 if index % 2 else 45)
        )
        if index % 7 == 0:
            e.add("NetworkPolicy", f"deny-{index}", namespace, spec={"podSelector": {}, "policyTypes": ["Ingress"]})
        made += replicas
        index += 1
    return e
