"""The plain data that flows out of collectors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

GLOBAL_REGION = "global"


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    """One cloud or cluster object as the provider's API described it.

    ``uid`` is unique within the account (an ARN, an Azure resource id, a GCP
    self link, a Kubernetes ``namespace/kind/name``). ``config`` holds the
    API's own JSON as returned, plus fields the collector needed extra calls
    for (kept under keys the API does not use).
    """

    provider: str
    service: str
    type: str
    uid: str
    name: str
    region: str = GLOBAL_REGION
    tags: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def config_hash(self) -> str:
        return config_hash(self.config)


def config_hash(config: dict[str, Any]) -> str:
    """A stable hash of a JSON document: key order does not matter."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CollectionError:
    """A (service, region) that could not be collected, and why.

    ``kind`` is one of: ``unsupported`` (the API or emulator lacks the call),
    ``denied`` (credentials lack permission), ``throttled``, ``timeout``,
    ``invalid_response`` (junk from the API), ``unreachable`` (no connection), ``lost`` (a unit of a scan
    spread over workers that no worker reported on),
    ``error`` (anything else).
    """

    service: str
    region: str
    error: str
    kind: str = "error"

    def as_dict(self) -> dict[str, str]:
        return {"service": self.service, "region": self.region, "kind": self.kind, "error": self.error}


@dataclass(frozen=True, slots=True)
class CredentialPolicy:
    """What a credential set may make the Posture server do, decided by who gave it.

    ``server_files``: it may name files on the server (a kubeconfig path, a key file, a kubeconfig's
    ``tokenFile``); only the operator, at the command line, may. ``exec_allowlist``: the command lines
    (``*`` = any one argument not starting with ``-``) a kubeconfig's exec or auth-provider plugin may run;
    empty runs none. ``check_url`` raises ``ValueError`` for a server address the client must not reach.
    The library default trusts its caller with files (an operator's script) but runs no plugin.
    """

    server_files: bool = True
    exec_allowlist: tuple[tuple[str, ...], ...] = ()
    check_url: Callable[[str], None] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Target:
    """What a provider needs to reach one account: the decrypted view of a CloudAccount."""

    provider: str
    name: str
    external_id: str = ""
    regions: tuple[str, ...] = ()
    endpoint_url: str = ""
    credentials: dict[str, Any] = field(default_factory=dict, repr=False)
    policy: CredentialPolicy = field(default_factory=CredentialPolicy, repr=False)
    # opt-in collection the account asked for (its labels set to "true"), e.g. "read-node-config"
    options: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the credentials are, as the provider says: the account's own id."""

    external_id: str
    display: str = ""
