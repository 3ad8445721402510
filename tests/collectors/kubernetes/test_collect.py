"""The collectors against the emulator with the real client: paging, workloads with their pods, what is never kept."""

from __future__ import annotations

import json

from kubernetes import client

from collectors.kubernetes.objects import REDACTED
from collectors.kubernetes.provider import KubernetesProvider, KubernetesSession
from collectors.records import Target
from collectors.run import collect, plan
from emulators.kubernetes import KubernetesEmulator
from tests.support.planted_workload import HARMLESS, plant_workload, planted_values
from tests.support.planted_workload import UID as PLANTED_UID


def run(provider: KubernetesProvider, session: KubernetesSession):
    return collect(provider, session, plan(provider, session, Target("kubernetes", "demo")))


def by_uid(collection) -> dict:
    return {r.uid: r for r in collection.records}


def test_everything_is_collected_page_by_page(provider, session, emulator: KubernetesEmulator) -> None:
    collection = run(provider, session)
    assert collection.errors == []
    records = by_uid(collection)
    assert {r.type for r in collection.records} >= {
        "kubernetes.core.namespace",
        "kubernetes.core.serviceaccount",
        "kubernetes.core.service",
        "kubernetes.core.secret",
        "kubernetes.core.configmap",
        "kubernetes.core.node",
        "kubernetes.rbac.role",
        "kubernetes.rbac.binding",
        "kubernetes.networking.networkpolicy",
        "kubernetes.networking.ingress",
        "kubernetes.admission.policy",
        "kubernetes.cluster.cluster",
        "kubernetes.workloads.workload",
    }
    assert len([r for r in collection.records if r.type == "kubernetes.core.namespace"]) == 7  # 4 pages of 2
    assert "Namespace/legacy" in records and "ClusterRole/cluster-admin" in records
    assert records["Cluster/demo"].config["version"]["gitVersion"] == "v1.30.4"
    assert all(r.region == "global" for r in collection.records)


def test_findings_point_at_workloads_with_their_pods(provider, session) -> None:
    records = by_uid(run(provider, session))
    workloads = {uid for uid, r in records.items() if r.type == "kubernetes.workloads.workload"}
    # ReplicaSets and Jobs run by a Deployment / CronJob are folded into their owner; pods are not records
    assert workloads == {
        "shop/Deployment/web",
        "legacy/Deployment/miner",
        "monitoring/DaemonSet/falco",
        "legacy/CronJob/backup",
        "legacy/StatefulSet/oddities",
        "default/Pod/debug",
    }
    web = records["shop/Deployment/web"].config
    assert [p["name"] for p in web["_pods"]] == ["web-7d4b9c-00000", "web-7d4b9c-00001"]
    assert web["_podCount"] == 2 and web["_oldestPodStart"]
    assert [p["name"] for p in records["legacy/CronJob/backup"].config["_pods"]] == ["backup-28801-00000"]
    assert records["default/Pod/debug"].config["_podCount"] == 1


def test_secret_values_are_never_fetched_or_kept(provider, session, emulator: KubernetesEmulator) -> None:
    records = run(provider, session).records
    secrets = [r for r in records if r.type == "kubernetes.core.secret"]
    assert {r.uid for r in secrets} == {"shop/Secret/db-credentials", "legacy/Secret/deployer-token"}
    everything = json.dumps([r.config for r in records])
    for value in ("c3VwZXItc2VjcmV0LXZhbHVl", "ZXlKaGJHY2lPaUpTVXpJMU5pSjk=", "wJalrXUtnFEMI", "hunter2"):
        assert value not in everything  # secret data, a secret-looking ConfigMap value, a literal env password
    config_map = next(r for r in records if r.uid == "legacy/ConfigMap/app-config").config
    assert config_map["_keys"] == ["AWS_SECRET_ACCESS_KEY", "MODE"]
    assert config_map["_secretLookingKeys"][0]["key"] == "AWS_SECRET_ACCESS_KEY"
    miner = next(r for r in records if r.uid == "legacy/Deployment/miner").config
    assert miner["spec"]["template"]["spec"]["containers"][0]["env"][0] == {"name": "DB_PASSWORD", "value": REDACTED}
    assert emulator.metadata_only_requests and all(p == "/api/v1/secrets" for p in emulator.metadata_only_requests)


def test_one_failing_list_does_not_lose_the_others(provider, session, emulator: KubernetesEmulator) -> None:
    emulator.fail["configmaps"] = 403
    emulator.fail["ingresses"] = "junk"
    collection = run(provider, session)
    errors = {e.service: e.kind for e in collection.errors}
    assert errors == {"configmaps": "denied", "ingresses": "invalid_response"}
    assert any(r.type == "kubernetes.workloads.workload" for r in collection.records)
    assert not any(r.type in ("kubernetes.core.configmap", "kubernetes.networking.ingress") for r in collection.records)


def test_an_api_without_a_resource_is_unsupported(provider, session, emulator: KubernetesEmulator) -> None:
    emulator.fail["validatingwebhookconfigurations"] = 404
    errors = {e.service: e.kind for e in run(provider, session).errors}
    assert errors == {"admission": "unsupported"}


def test_emulator_objects_are_valid_for_the_typed_client(session: KubernetesSession) -> None:
    """The typed client validates required fields when it deserializes: every list must load."""
    api = session.api_client
    core, apps, batch = client.CoreV1Api(api), client.AppsV1Api(api), client.BatchV1Api(api)
    rbac, net, adm = (
        client.RbacAuthorizationV1Api(api),
        client.NetworkingV1Api(api),
        client.AdmissionregistrationV1Api(api),
    )
    calls = [
        core.list_namespace,
        core.list_node,
        core.list_pod_for_all_namespaces,
        core.list_service_for_all_namespaces,
        core.list_service_account_for_all_namespaces,
        core.list_config_map_for_all_namespaces,
        core.list_secret_for_all_namespaces,
        apps.list_deployment_for_all_namespaces,
        apps.list_replica_set_for_all_namespaces,
        apps.list_daemon_set_for_all_namespaces,
        apps.list_stateful_set_for_all_namespaces,
        batch.list_job_for_all_namespaces,
        batch.list_cron_job_for_all_namespaces,
        rbac.list_cluster_role,
        rbac.list_cluster_role_binding,
        rbac.list_role_for_all_namespaces,
        rbac.list_role_binding_for_all_namespaces,
        net.list_network_policy_for_all_namespaces,
        net.list_ingress_for_all_namespaces,
        adm.list_validating_webhook_configuration,
        adm.list_mutating_webhook_configuration,
    ]
    counts = {call.__name__: len(call().items) for call in calls}
    assert counts["list_pod_for_all_namespaces"] == 8
    assert counts["list_cluster_role_binding"] == 4  # cluster-admin, ci-admin, anonymous-view, oncall-node-debugger
    page = core.list_namespace(limit=3)
    assert len(page.items) == 3 and page.metadata._continue
    assert client.VersionApi(api).get_code().git_version == "v1.30.4"
    assert core.read_namespace("kube-system").metadata.uid


def test_validating_admission_policies_count_as_a_policy_engine(provider, session, emulator) -> None:
    emulator.estate.objects("ValidatingWebhookConfiguration").clear()
    emulator.estate.add(
        "ValidatingAdmissionPolicy",
        "require-run-as-non-root",
        spec={
            "failurePolicy": "Fail",
            "validations": [{"expression": "true"}],
            "matchConstraints": {
                "resourceRules": [
                    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
                ]
            },
        },
    )
    records = by_uid(run(provider, session))
    assert "ValidatingAdmissionPolicy/require-run-as-non-root" in records


def test_servers_without_admission_policies_still_give_their_webhooks(provider, session, emulator) -> None:
    emulator.fail["validatingadmissionpolicies"] = 404
    collection = run(provider, session)
    assert collection.errors == []
    assert "ValidatingWebhookConfiguration/kyverno-resource-validating-webhook-cfg" in by_uid(collection)


def test_secrets_in_urls_arguments_key_shapes_and_annotations_are_redacted(
    provider, session, emulator: KubernetesEmulator
) -> None:
    values = planted_values()
    plant_workload(emulator.estate, values)
    records = run(provider, session).records
    config = {r.uid: r for r in records}[PLANTED_UID].config
    everything = json.dumps([r.config for r in records])
    assert [name for name, value in values.items() if value in everything] == []
    container = config["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["DATABASE_URL"] == f"postgres://{REDACTED}@db:5432/app"  # the host stays: it is evidence
    assert env["STRIPE"] == env["GITHUB"] == env["GITLAB"] == env["AWS_KEY_ID"] == REDACTED
    assert container["command"] == ["/app", "--db-password", REDACTED, HARMLESS["password_file"]]
    assert container["args"][0] == f"--password={REDACTED}"
    assert container["args"][-1] == f"exec worker --api-token {REDACTED}"
    # look-alikes are kept as they are
    assert env["DOCS"] == HARMLESS["url"] and container["image"] == HARMLESS["image"]
    annotations = config["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/last-applied-configuration" not in annotations
    assert annotations["example.com/api-token"] == REDACTED
    assert annotations["ci.example.com/build-url"] == f"https://{REDACTED}@ci.example.com/job/1"
    assert annotations["example.com/dashboard"] == HARMLESS["annotation"]
    assert json.loads(annotations["example.com/config"]) == {"env": [{"name": "DB_PASSWORD", "value": REDACTED}]}
    assert config["spec"]["template"]["metadata"]["annotations"] == {"example.com/api-token": REDACTED}
