"""The demo's clouds: each starts its local emulator, names its accounts, and moves through history steps.

A cloud's estate at step 0 is where the month starts; each later step is the
same estate some days on (fixes landed, regressions appeared). The demo scans
every account on its schedule of days and moves each cloud to the step that
day falls in.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass
class DemoAccount:
    provider: str
    name: str
    team: str
    endpoint_url: str
    credentials: dict[str, str]
    regions: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


class DemoCloud(Protocol):
    """A cloud may also have ``inside``: InsideSpecs of managed clusters the demo scans inside via its accounts."""

    title: str
    steps: int

    def start(self) -> list[DemoAccount]:
        """Start the emulator at step 0 and return the accounts to register."""

    def apply(self, step: int) -> None:
        """Move the estate to history step ``step`` (0 <= step < steps)."""

    def stop(self) -> None: ...


class AzureDemo:
    title = "Azure subscription with AKS (local ARM emulator)"
    steps = 3

    def __init__(self) -> None:
        from emulators.azure import ArmEmulator

        self.token = "demo-" + secrets.token_urlsafe(16)
        self.emulator = ArmEmulator(self._estate(0), token=self.token)

    @staticmethod
    def _estate(step: int) -> dict[str, Any]:
        from emulators.azure.demo import demo_estate

        return demo_estate(page_size=50, step=step)

    def start(self) -> list[DemoAccount]:
        from emulators.azure.demo import SUB

        url = self.emulator.start()
        self._hand_out_unreachable_credentials()
        return [
            DemoAccount(
                provider="azure",
                name="azure-production",
                team="platform",
                endpoint_url=url,
                credentials={"access_token": self.token, "subscription_id": SUB},
            )
        ]

    def _hand_out_unreachable_credentials(self) -> None:
        """The demo runs no API server for its AKS clusters: their user credential names the cluster's own
        address (``fqdn`` on azmk8s.io), which does not resolve here, so 'Scan inside' ends in a scan failed
        as unreachable, as on a machine outside the cluster's network (not a credential still missing)."""
        from emulators.kubernetes.managed import aks_user_kubeconfig
        from emulators.kubernetes.tls import make_tls_material

        ca_pem = make_tls_material().ca_pem
        for resource in self._estate(0)["resources"]:
            if resource.get("type", "").lower() != "microsoft.containerservice/managedclusters":
                continue
            props = resource.get("properties") or {}
            server = f"https://{props.get('privateFQDN') or props['fqdn']}:443"
            if props.get("aadProfile"):  # Entra ID: Posture gets a token for AKS's server app, as kubelogin
                kubeconfig = aks_user_kubeconfig(resource["name"], server, ca_pem, aad=True)
            else:
                kubeconfig = aks_user_kubeconfig(resource["name"], server, ca_pem, token=secrets.token_urlsafe(24))
            self.emulator.set_cluster_credential(resource["id"], kubeconfig)

    def apply(self, step: int) -> None:
        self.emulator.load(self._estate(min(step, self.steps - 1)))

    def stop(self) -> None:
        self.emulator.stop()


class GcpDemo:
    """Two projects under a folder: ``acme-prod`` mostly kept, ``acme-sandbox`` neglected.

    History: the sandbox's shared bucket is closed (step 1); a prod bucket is opened to
    everyone by mistake (step 2) and closed again (step 3).

    The sandbox's GKE cluster ``legacy-web`` is scanned inside with the folder account's own access token
    (``legacy-web-gke``, added via ``gcp-acme``): its API server is a TLS Kubernetes emulator the cluster
    record points at. It runs two of ``acme-prod``'s scanned Artifact Registry images (``team-0000``); its
    ``team-0001`` namespace gets a default-deny network policy (step 2).
    """

    title = "Google Cloud projects with GKE (local emulator; GKE legacy-web scanned inside via gcp-acme)"
    steps = 4
    LEGACY_WEB = "projects/acme-sandbox/locations/us-central1-a/clusters/legacy-web"

    def __init__(self) -> None:
        from emulators.gcp.server import GcpEmulator
        from posture.demo.inside import ClusterServer, InsideSpec

        self.token = "demo-" + secrets.token_urlsafe(16)
        self.cluster = ClusterServer(self._workloads, {self.token: "posture@acme-sandbox.iam.gserviceaccount.com"})
        self.inside = [InsideSpec("legacy-web-gke", via="gcp-acme", cluster=self.LEGACY_WEB)]
        self.emulator = GcpEmulator(self._estate(0), token=self.token, page_size=50)

    @staticmethod
    def _workloads(step: int) -> Any:
        from emulators.images import GCP_IMAGES
        from emulators.kubernetes.scenarios import large_estate, run_images

        estate = large_estate(namespaces=3, pods=30)
        run_images(estate, GCP_IMAGES[:2], "team-0000")  # Artifact Registry images Artifact Analysis scanned
        if step >= 2:
            estate.add(
                "NetworkPolicy", "default-deny", "team-0001", spec={"podSelector": {}, "policyTypes": ["Ingress"]}
            )
        return estate

    def _estate(self, step: int) -> dict[str, Any]:
        from emulators.gcp.estate import demo_estate
        from emulators.gcp.estate_gke import point_cluster
        from emulators.gcp.estate_paths import add_workload_identities

        estate = demo_estate()
        add_workload_identities(estate)  # the identities the payments cluster's exposure paths reach
        prod, sandbox = estate["projects"]
        if step >= 1:
            sandbox["bucketPolicies"] = {}
        if step == 2:  # someone lifts public access prevention on the artifacts bucket and shares it
            bucket = next(b for b in prod["buckets"] if b["name"].endswith("-artifacts"))
            bucket["iamConfiguration"]["publicAccessPrevention"] = "inherited"
            prod["bucketPolicies"][bucket["name"]] = {
                "bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]
            }
        point_cluster(estate, self.LEGACY_WEB, self.cluster.url, self.cluster.tls.ca_pem)
        return estate

    def start(self) -> list[DemoAccount]:
        from emulators.gcp.estate import FOLDER

        self.cluster.start()
        self.emulator.start()
        return [
            DemoAccount(
                provider="gcp",
                name="gcp-acme",
                team="data",
                endpoint_url=self.emulator.url,
                credentials={"access_token": self.token, "folder": FOLDER},
            )
        ]

    def apply(self, step: int) -> None:
        self.emulator.estate = self._estate(step)
        self.cluster.apply(step)

    def stop(self) -> None:
        self.emulator.stop()
        self.cluster.stop()


class KubernetesDemo:
    """The workloads inside the GKE production cluster, reached by kubeconfig.

    History: the ``legacy`` namespace gets a default-deny network policy (step 1); a
    debug pod with a privileged container appears in ``shop`` (step 2).
    """

    title = "Kubernetes cluster workloads (local API emulator)"
    steps = 3

    def __init__(self) -> None:
        import tempfile
        from pathlib import Path

        from emulators.kubernetes.server import KubernetesEmulator

        self.token = "demo-" + secrets.token_urlsafe(16)
        self.emulator = KubernetesEmulator(self._estate(0), token=self.token)
        self.kubeconfig = Path(tempfile.mkdtemp(prefix="posture-demo-")) / "kubeconfig"

    @staticmethod
    def _estate(step: int) -> Any:
        from emulators.kubernetes.paths_scenario import add_exposure_paths
        from emulators.kubernetes.scenarios import demo_estate

        estate = demo_estate(images=True)  # with the images the clouds scanned (emulators.images)
        add_exposure_paths(estate)  # an exposure path into acme-prod's data, and its decoys
        if step >= 1:
            estate.add("NetworkPolicy", "default-deny", "legacy", spec={"podSelector": {}, "policyTypes": ["Ingress"]})
            estate.tag_digests["docker.io/library/postgres:16"] = "sha256:" + "5e" * 32  # the tag moved upstream
            estate.restarts["miner-7d4b9c-00000"] = 7  # and the miner keeps crashing
            estate.refresh_statuses()
        if step >= 2:
            estate.add(
                "Pod",
                "debug-shell",
                "shop",
                spec={
                    "containers": [
                        {"name": "shell", "image": "busybox:latest", "securityContext": {"privileged": True}}
                    ]
                },
                status={"phase": "Running", "startTime": "2026-11-20T09:00:00Z"},
            )
        return estate

    def start(self) -> list[DemoAccount]:
        self.emulator.start()
        self.emulator.write_kubeconfig(self.kubeconfig)
        return [
            DemoAccount(
                provider="kubernetes",
                name="gke-payments-workloads",
                team="platform",
                endpoint_url="",
                credentials={"kubeconfig_content": self.kubeconfig.read_text()},
                # the GKE cluster in acme-prod; opted in to the kubelets' configz (node-2's kubelet is left open)
                labels={"platform": "gke", "cluster": "payments", "read-node-config": "true"},
            )
        ]

    def apply(self, step: int) -> None:
        self.emulator.estate = self._estate(step)

    def stop(self) -> None:
        self.emulator.stop()


class AwsDemo:
    """Two AWS accounts on a moto server: ``aws-production`` and ``aws-staging`` (reached by an assumed role).

    History: a bucket's public access block is switched off and a public policy added (step 1),
    then closed again (step 2); staging turns on EKS control-plane logging (step 3).
    """

    title = "AWS accounts with EKS and ECR (moto; EKS prod scanned inside via aws-production)"
    steps = 4
    STAGING = "210987654321"
    PROD_EKS = "arn:aws:eks:us-east-1:123456789012:cluster/prod"

    def __init__(self) -> None:
        from emulators.aws.server import MotoEmulator
        from posture.demo.inside import ClusterServer, InsideSpec

        self.emulator = MotoEmulator()
        self.cluster = ClusterServer(self._workloads, {})  # EKS tokens: a reviewer is added at start
        self.inside = [InsideSpec("prod-eks", via="aws-production", cluster=self.PROD_EKS)]

    @staticmethod
    def _workloads(step: int) -> Any:
        from emulators.aws.estate_paths import role_arn
        from emulators.kubernetes.paths_scenario import eks_orders_estate

        return eks_orders_estate(role_arn("orders-app"), role_arn("orders-audit"))

    def _start_prod_eks(self) -> None:
        """EKS ``prod`` answers at a TLS Kubernetes emulator that accepts aws-production's EKS tokens, as EKS
        would; its service accounts are bound to IAM roles (IRSA) that the exposure paths lead through."""
        from urllib.parse import urlsplit

        from emulators.aws.estate import ACCOUNT, REGION
        from emulators.aws.estate_paths import build_irsa_roles
        from emulators.aws.server import FAKE_KEYS
        from emulators.kubernetes.cloud_auth import AwsKey, EksTokenReviewer
        from emulators.kubernetes.managed import point_eks_cluster

        build_irsa_roles(self.emulator.clients(REGION))
        self.cluster.start()
        point_eks_cluster(ACCOUNT, REGION, "prod", self.cluster.url, self.cluster.tls.ca_pem)
        scanner = f"arn:aws:iam::{ACCOUNT}:user/posture-demo"
        key = AwsKey(FAKE_KEYS["aws_secret_access_key"], scanner)
        reviewer = EksTokenReviewer(
            "prod",
            keys={FAKE_KEYS["aws_access_key_id"]: key},
            users={scanner: "posture-demo"},
            sts_endpoints=(urlsplit(self.emulator.url).netloc,),
        )
        self.cluster.emulator.reviewers.append(reviewer)

    def start(self) -> list[DemoAccount]:
        from emulators.aws.estate import REGION, build_estate
        from emulators.aws.estate_config import build_config_recording
        from emulators.aws.estate_images import build_image_scans
        from emulators.aws.server import FAKE_KEYS

        url = self.emulator.start()
        self.emulator.reset()  # moto keeps its accounts in the process: a second demo run in it would find them
        build_estate(self.emulator.clients(REGION))
        build_image_scans(self.emulator.clients(REGION))  # ECR images with Inspector findings (emulators.images)
        self._start_prod_eks()
        self.role = f"arn:aws:iam::{self.STAGING}:role/posture-scanner"
        staging = self.emulator.clients(REGION, **self.emulator.assume(self.role, REGION))
        build_estate(staging, prefix="staging")
        build_config_recording(staging, "staging-trail-logs")  # staging's buckets come from AWS Config, not S3 reads
        keys = {
            "access_key_id": FAKE_KEYS["aws_access_key_id"],
            "secret_access_key": FAKE_KEYS["aws_secret_access_key"],
        }
        return [
            DemoAccount("aws", "aws-production", "platform", url, keys, regions=[REGION]),
            DemoAccount("aws", "aws-staging", "payments", url, {**keys, "role_arn": self.role}, regions=[REGION]),
        ]

    def apply(self, step: int) -> None:
        from emulators.aws.estate import REGION

        s3 = self.emulator.clients(REGION)("s3")
        bucket = "posture-demo-exports"
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if step == 1 and bucket not in existing:
            s3.create_bucket(Bucket=bucket)
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": False,
                    "IgnorePublicAcls": False,
                    "BlockPublicPolicy": False,
                    "RestrictPublicBuckets": False,
                },
            )
        if step == 2 and bucket in existing:
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
        if step == 3:
            eks = self.emulator.clients(REGION, **self.emulator.assume(self.role, REGION))("eks")
            for name in eks.list_clusters().get("clusters", []):
                eks.update_cluster_config(
                    name=name,
                    logging={"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": True}]},
                )

    def stop(self) -> None:
        self.emulator.stop()
        self.cluster.stop()


CLOUDS: list[type] = [AwsDemo, AzureDemo, GcpDemo, KubernetesDemo]


def start_clouds() -> list[tuple[DemoCloud, list[DemoAccount]]]:
    """Every demo cloud that starts; one that cannot is left out with a warning."""
    started = []
    for cls in CLOUDS:
        try:
            cloud = cls()
            started.append((cloud, cloud.start()))
        except ModuleNotFoundError as exc:  # the demo's own emulators are not installed (make run installs them)
            log.warning(
                "demo: %s did not start: %s (pip install -r requirements-demo.txt, or use make run)", cls.__name__, exc
            )
        except Exception as exc:  # one broken emulator must not stop the demo
            log.warning("demo: %s did not start: %s", cls.__name__, exc)
    return started
