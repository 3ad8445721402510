"""How Posture reaches an AWS account: credential chain, profile, keys or an assumed role.

boto3 and botocore are imported by the methods that call them, not here: registering the provider (and
checking an account's credential options) must not load them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from collectors.records import Identity, Target
from collectors.registry import BaseProvider, CredentialField, InvalidCredentials
from posture.env import env_int

DEFAULT_REGION = "us-east-1"
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
}
# connections each client keeps open for reuse: botocore's default (10) is fewer than the calls one client can have
# in flight (S3's 16 bucket readers; ECR's or EKS's two units with 8 detail readers each), and a connection over
# the pool's size is dropped after its call, so the next call pays a new TCP and TLS handshake
POOL_CONNECTIONS = 32
THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown"}
UNSUPPORTED = {"InvalidAction", "NotImplemented", "UnknownOperationException", "UnsupportedOperation", "OptInRequired"}
ACCOUNT_HOST = re.compile(r"//\d{12}\.")
DEFAULT_MAX_ATTEMPTS = 6

if TYPE_CHECKING:
    import boto3

    from collectors.bulk import BulkInventory

T = TypeVar("T")


def _strip_account_host(request: Any, **_: Any) -> None:
    """s3control puts the account id in front of the host; an emulator on 127.0.0.1 has no such name."""
    request.url = ACCOUNT_HOST.sub("//", request.url, count=1)


def max_attempts() -> int:
    """Attempts per call when throttled, the first one counted; other failures get fewer (``retries``)."""
    return env_int("POSTURE_AWS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, minimum=1, maximum=20)


_LOADER: Any = None
_LOADER_LOCK = threading.Lock()


def new_session(**kwargs: Any) -> boto3.Session:
    """A boto3 session on the process's one botocore data loader, so each service model is parsed once.

    Every session would otherwise load and parse its own copy of each model (EC2's alone is megabytes of JSON)
    for every account scanned. boto3 appends its own data folder to the loader's search path for each session;
    that is undone here, so the shared path stays as it started.
    """
    global _LOADER
    import boto3
    import botocore.loaders
    import botocore.session

    with _LOADER_LOCK:
        core = botocore.session.get_session()
        if _LOADER is None:
            _LOADER = botocore.loaders.create_loader(core.get_config_variable("data_path"))
        core.register_component("data_loader", _LOADER)
        try:
            session = boto3.Session(botocore_session=core, **kwargs)
        finally:
            paths = _LOADER.search_paths
            paths[:] = list(dict.fromkeys(paths))
    core.get_scoped_config()  # an unknown profile is refused here, as boto3's own loader set-up would
    return session


class _SharedRead:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = False
        self.value: Any = None
        self.error: Exception | None = None


class AwsSession:
    """A boto3 session plus the endpoint override and retry settings every client shares."""

    def __init__(self, session: boto3.Session, endpoint_url: str = "", regions: Iterable[str] = ()) -> None:
        from botocore.config import Config

        self.session = session
        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        self.config = Config(
            retries={"mode": "adaptive", "total_max_attempts": max_attempts()},
            connect_timeout=10,
            read_timeout=30,
            max_pool_connections=POOL_CONNECTIONS,
            user_agent_extra="posture",
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.api_calls = 0
        self._account_id = ""
        self._account_lock = threading.Lock()
        self._shared: dict[tuple[str, ...], _SharedRead] = {}
        self.regions = list(regions)  # the scan's regions where known (configured, or listed by the plan)
        self.bulk: BulkInventory | None = None  # AWS Config, where it records (collectors.aws.config_inventory)

    def _count_call(self, **_: Any) -> None:
        """How many API operations this session's clients have started (retries not counted)."""
        with self._count_lock:
            self.api_calls += 1

    def account_id(self) -> str:
        """The account the credentials belong to (one STS call, then cached; concurrent callers wait for it)."""
        with self._account_lock:
            if not self._account_id:
                self._account_id = self.client("sts").get_caller_identity()["Account"]
            return self._account_id

    def shared(self, key: tuple[str, ...], read: Callable[[], T]) -> T:
        """What more than one collector reads (ECR's repositories and images, EKS's clusters), read once per
        session: the first caller reads, a concurrent one waits for that answer. A failed read is not read
        again: each caller gets the same exception and handles it as it would its own call's. The answer
        is shared, so callers copy before they change it."""
        with self._lock:
            entry = self._shared.setdefault(key, _SharedRead())
        with entry.lock:
            if not entry.done:
                try:
                    entry.value = read()
                except Exception as exc:
                    entry.error = exc
                entry.done = True
        if entry.error is not None:
            raise entry.error
        return entry.value

    def client(self, service: str, region: str = DEFAULT_REGION) -> Any:
        """A cached client; boto3 clients are thread-safe, sessions are not (hence the lock, taken only to make one:
        a thread asking for a made client does not wait while another thread's new client loads its model)."""
        region = DEFAULT_REGION if region in ("", "global") else region
        key = (service, region)
        made = self._clients.get(key)
        if made is not None:
            return made
        with self._lock:
            if key not in self._clients:
                from collectors.aws import retries

                client = self.session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url, config=self.config
                )
                retries.install(client, self.config.retries["total_max_attempts"])
                client.meta.events.register("before-call", self._count_call)
                if self.endpoint_url and service == "s3control":
                    client.meta.events.register("before-send.s3-control.*", _strip_account_host)
                self._clients[key] = client
            return self._clients[key]


class AwsProvider(BaseProvider):
    name = "aws"
    title = "Amazon Web Services"
    credential_fields = (
        CredentialField(
            "profile", "a named profile from the AWS config files (it may run a credential_process)", server_file=True
        ),
        CredentialField("access_key_id", "an access key id"),
        CredentialField("secret_access_key", "the secret access key", secret=True),
        CredentialField("session_token", "a session token for temporary keys", secret=True),
        CredentialField("role_arn", "a role to assume (arn:aws:iam::ACCOUNT:role/NAME)"),
        CredentialField("external_id", "the external id the role's trust policy requires"),
        CredentialField("role_session_name", "the session name for the assumed role (default: posture)"),
    )
    # ec2:DescribeRegions lists the regions when none are given; sts:GetCallerIdentity (identify) needs no grant.
    # eks:DescribeCluster, which cluster access (eks_auth) calls, is the eks collector's already.
    permissions = ("ec2:DescribeRegions",)
    credential_groups = (("access_key_id", "secret_access_key"),)
    exclusive_groups = (("profile",), ("access_key_id", "secret_access_key", "session_token"))
    region_pattern = REGION

    def validate_credentials(self, credentials: dict[str, Any]) -> None:
        super().validate_credentials(credentials)
        if credentials.get("session_token") and not credentials.get("access_key_id"):
            raise InvalidCredentials("--session-token needs --access-key-id and --secret-access-key")
        role = credentials.get("role_arn")
        if role and not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", role):
            raise InvalidCredentials(
                f"--role-arn {role!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
            )
        if (credentials.get("external_id") or credentials.get("role_session_name")) and not role:
            raise InvalidCredentials("--external-id and --role-session-name need --role-arn")

    def connect(self, target: Target) -> AwsSession:
        import botocore.exceptions

        creds = target.credentials
        region = target.regions[0] if target.regions else DEFAULT_REGION
        try:
            session = new_session(
                profile_name=creds.get("profile") or None,
                aws_access_key_id=creds.get("access_key_id") or None,
                aws_secret_access_key=creds.get("secret_access_key") or None,
                aws_session_token=creds.get("session_token") or None,
                region_name=region,
            )
        except botocore.exceptions.ProfileNotFound as exc:
            raise InvalidCredentials(str(exc)) from None
        base = AwsSession(session, target.endpoint_url, target.regions)
        if not creds.get("role_arn"):
            return self._with_inventory(base)
        params = {"RoleArn": creds["role_arn"], "RoleSessionName": creds.get("role_session_name") or "posture"}
        if creds.get("external_id"):
            params["ExternalId"] = creds["external_id"]
        assumed = base.client("sts", region).assume_role(**params)["Credentials"]
        session = new_session(
            aws_access_key_id=assumed["AccessKeyId"],
            aws_secret_access_key=assumed["SecretAccessKey"],
            aws_session_token=assumed["SessionToken"],
            region_name=region,
        )
        return self._with_inventory(AwsSession(session, target.endpoint_url, target.regions))

    def _with_inventory(self, session: AwsSession) -> AwsSession:
        from collectors.aws.config_inventory import config_inventory

        session.bulk = config_inventory(session, self.classify_error)
        return session

    def list_regions(self, session: AwsSession, target: Target) -> list[str]:
        if target.regions:
            return list(target.regions)
        response = session.client("ec2", DEFAULT_REGION).describe_regions(AllRegions=False)
        session.regions = sorted(r["RegionName"] for r in response.get("Regions", []))
        return list(session.regions)

    def identify(self, session: AwsSession) -> Identity:
        me = session.client("sts").get_caller_identity()
        return Identity(external_id=me["Account"], display=me.get("Arn", ""))

    def classify_error(self, exc: BaseException) -> str:
        import botocore.exceptions
        import botocore.parsers

        if isinstance(exc, botocore.exceptions.ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in DENIED or status == 403:  # an emulator's bare 403 too
                return "denied"
            if code in THROTTLED:
                return "throttled"
            if code in UNSUPPORTED or status in (404, 501) or "not yet implemented" in str(exc).lower():
                return "unsupported"
            return "error"
        if isinstance(exc, (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError)):
            return "timeout"
        if isinstance(exc, botocore.exceptions.EndpointConnectionError):
            return "unreachable"
        if isinstance(exc, botocore.parsers.ResponseParserError):
            return "invalid_response"
        if isinstance(exc, botocore.exceptions.NoCredentialsError):
            return "denied"
        return super().classify_error(exc)
