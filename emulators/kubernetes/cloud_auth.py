"""How the emulator's API server authenticates cloud identities, as EKS, AKS and GKE do.

- :class:`EksTokenReviewer` checks a ``k8s-aws-v1.`` token the way aws-iam-authenticator's verifier does
  (prefix, base64url, https to an STS host, path ``/``, only the allowed query parameters, action
  ``GetCallerIdentity``, ``x-k8s-aws-id`` among the signed headers, ``X-Amz-Expires`` within 0..900 s,
  ``X-Amz-Date`` no older than 15 minutes). STS's own part, checking the SigV4 signature (with the
  ``x-k8s-aws-id`` header set to *this* cluster's name) and answering who signed, is played here with the
  access keys the estate knows: moto's STS answers any presigned ``GetCallerIdentity`` without checking
  its signature, so calling it would prove nothing. The ARN is then mapped to a Kubernetes user as the
  ``aws-auth`` ConfigMap (``mapUsers`` / ``mapRoles``) does; an unmapped ARN is refused.
- :class:`StaticTokens` accepts given bearer tokens (an AKS local-account token, a Google or Entra
  access token the cloud emulator issues) as named users.

A reviewer returns the user name, or raises :class:`Refused` with the reason (the emulator answers 401).
"""

from __future__ import annotations

import base64
import hmac
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
MAX_TOKEN_LENGTH = 4 * 1024
PRESIGNED_URL_LIFETIME = 15 * 60
ALLOWED_PARAMETERS = frozenset(
    {
        "action",
        "version",
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-expires",
        "x-amz-security-token",
        "x-amz-signature",
        "x-amz-signedheaders",
    }
)
STS_HOST = re.compile(r"^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")
ASSUMED_ROLE = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/[^/]+$")


class Refused(Exception):
    """The token is not one this cluster accepts; the message says why (the emulator answers 401)."""


@dataclass
class AwsKey:
    secret: str
    arn: str  # the principal STS names for this key: an IAM user, or an assumed-role session
    session_token: str = ""
    expires_at: float = 0.0  # temporary credentials: when STS stops honouring them (0: never)


def canonical_arn(arn: str) -> str:
    """``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`` -> ``arn:aws:iam::ACCOUNT:role/ROLE`` (as mapRoles)."""
    match = ASSUMED_ROLE.match(arn)
    return f"arn:{match.group(1)}:iam::{match.group(2)}:role/{match.group(3)}" if match else arn


@dataclass
class EksTokenReviewer:
    """Accept EKS tokens for ``cluster_name`` signed by a known key whose principal ``users`` maps."""

    cluster_name: str
    keys: Any = field(default_factory=dict)  # access key id -> AwsKey: a dict, or anything with .get (MotoKeys)
    users: dict[str, str] = field(default_factory=dict)  # IAM ARN (user or role) -> Kubernetes user name
    sts_endpoints: tuple[str, ...] = ()  # extra STS hosts ("127.0.0.1:PORT") an endpoint override signs for
    now: float | None = None  # for tests: the clock

    def __call__(self, token: str) -> str | None:
        if not token.startswith(TOKEN_PREFIX):
            return None  # not an EKS token: another reviewer may know it
        url = self._decode(token)
        params = self._params(url)
        key_id, region = self._credential_scope(params)
        key = self.keys.get(key_id)
        if key is None:
            raise Refused("STS: the security token included in the request is invalid (unknown access key)")
        if key.session_token and params.get("x-amz-security-token") != key.session_token:
            raise Refused("STS: the security token included in the request is invalid")
        if key.expires_at and self._now() > key.expires_at:
            raise Refused("STS: the security token included in the request is expired")
        self._check_signature(url, params, key_id, key, region)
        arn = canonical_arn(key.arn)
        user = self.users.get(arn)
        if user is None:
            raise Refused(f"{arn} is not mapped to a user of cluster {self.cluster_name}")
        return user

    def _decode(self, token: str) -> str:
        if len(token) > MAX_TOKEN_LENGTH:
            raise Refused("token is too large")
        body = token[len(TOKEN_PREFIX) :]
        if "=" in body:
            raise Refused("token is not base64url without padding")
        try:
            url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            raise Refused("token is not base64url") from None
        parts = urlsplit(url)
        loopback = parts.netloc in self.sts_endpoints
        if parts.scheme != "https" and not (loopback and parts.scheme == "http"):
            raise Refused(f"unexpected scheme {parts.scheme!r} in pre-signed URL")
        if not (STS_HOST.match(parts.netloc) or loopback):
            raise Refused(f"unexpected hostname {parts.netloc!r} in pre-signed URL")
        if parts.path != "/":
            raise Refused("unexpected path in pre-signed URL")
        return url

    def _params(self, url: str) -> dict[str, str]:
        raw = parse_qs(urlsplit(url).query, keep_blank_values=True)
        params: dict[str, str] = {}
        for key, values in raw.items():
            if key.lower() not in ALLOWED_PARAMETERS:
                raise Refused(f"non-whitelisted query parameter {key!r}")
            if len(values) != 1:
                raise Refused("query parameter with multiple values not supported")
            params[key.lower()] = values[0]
        if params.get("action") != "GetCallerIdentity":
            raise Refused("unexpected action parameter in pre-signed URL")
        if CLUSTER_ID_HEADER not in params.get("x-amz-signedheaders", "").lower().split(";"):
            raise Refused(f"client did not sign the {CLUSTER_ID_HEADER} header in the pre-signed URL")
        expires = params.get("x-amz-expires", "")
        if not expires.isdigit() or int(expires) > 900:
            raise Refused(f"invalid X-Amz-Expires parameter in pre-signed URL: {expires!r}")
        try:
            signed_at = datetime.strptime(params.get("x-amz-date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise Refused("X-Amz-Date parameter must be present in pre-signed URL") from None
        if self._now() > signed_at.timestamp() + PRESIGNED_URL_LIFETIME:
            raise Refused(f"X-Amz-Date parameter is expired (15 minute expiration) {signed_at.isoformat()}")
        return params

    def _now(self) -> float:
        return self.now if self.now is not None else time.time()

    @staticmethod
    def _credential_scope(params: dict[str, str]) -> tuple[str, str]:
        parts = params.get("x-amz-credential", "").split("/")
        if len(parts) != 5 or parts[3] != "sts" or parts[4] != "aws4_request":
            raise Refused("malformed X-Amz-Credential in pre-signed URL")
        return parts[0], parts[2]

    def _check_signature(self, url: str, params: dict[str, str], key_id: str, key: AwsKey, region: str) -> None:
        """Recompute the SigV4 query signature as STS would, with this cluster's name in the signed header."""
        parts = urlsplit(url)
        pairs = [(k, v[0]) for k, v in parse_qs(parts.query, keep_blank_values=True).items() if k != "X-Amz-Signature"]
        unsigned = parts._replace(query=urlencode(pairs)).geturl()
        request = AWSRequest(method="GET", url=unsigned, headers={CLUSTER_ID_HEADER: self.cluster_name})
        request.context["timestamp"] = params["x-amz-date"]
        credentials = Credentials(key_id, key.secret, key.session_token or None)
        auth = SigV4QueryAuth(credentials, "sts", region, expires=int(params["x-amz-expires"]))
        if set(params["x-amz-signedheaders"].split(";")) != set(auth.headers_to_sign(request)):
            raise Refused("the pre-signed URL signs headers other than host and x-k8s-aws-id")
        expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
        if not hmac.compare_digest(expected, params.get("x-amz-signature", "")):
            raise Refused(
                "STS: the request signature we calculated does not match the signature you provided "
                f"(signed for another cluster than {self.cluster_name}, or with another secret)"
            )


@dataclass
class StaticTokens:
    """Bearer tokens the cluster accepts, each as a named user (AKS local accounts, cloud access tokens)."""

    tokens: dict[str, str] = field(default_factory=dict)  # token -> user name

    def __call__(self, token: str) -> str | None:
        for known, user in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return user
        return None
