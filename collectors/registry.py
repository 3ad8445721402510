"""Providers and their collectors, registered by the provider packages.

A provider knows how to turn a :class:`Target` into an authenticated session,
which regions to scan, and who the credentials belong to. A collector is a
function ``(session, region) -> Iterable[ResourceRecord]`` registered for one
(provider, service); ``regional=False`` collectors run once, in ``global``.

Registering a provider is cheap: a provider module imports no SDK at import time, and its package names
its collector modules (which do) for :meth:`Registry.collectors` to import on first use. A command or
web process that never scans Google Cloud never loads the Google client libraries.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from collectors.failures import StatedError
from collectors.records import CredentialPolicy, Identity, ResourceRecord, Target

CollectorFn = Callable[[Any, str], Iterable[ResourceRecord]]


class UnknownProvider(LookupError, StatedError):
    pass


class InvalidCredentials(ValueError, StatedError):
    """The credential options given for an account do not fit its provider."""


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One credential option: ``--<name with dashes>`` on the command line.

    ``server_file``: the value is a path on the Posture server, which only the operator may give.
    """

    name: str
    help: str
    secret: bool = False
    server_file: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True, slots=True)
class CollectorSpec:
    provider: str
    service: str
    fn: CollectorFn
    regional: bool = True
    permissions: tuple[str, ...] = ()


class Provider(Protocol):
    # Read-only members: a provider class states them as class attributes, its own fixed tuple of fields
    # included (a mutable protocol attribute would have to match that tuple's type exactly).
    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def credential_fields(self) -> tuple[CredentialField, ...]: ...

    def validate_credentials(self, credentials: dict[str, Any]) -> None:
        """Raise :class:`InvalidCredentials` naming what is missing or conflicting."""

    def check_policy(self, credentials: dict[str, Any], policy: CredentialPolicy) -> None:
        """Raise :class:`InvalidCredentials` for what ``policy`` forbids, before anything reads a file."""

    def connect(self, target: Target) -> Any:
        """An authenticated session (or client factory) for the collectors."""

    def list_regions(self, session: Any, target: Target) -> list[str]:
        """The regions to scan: the target's own list, or every enabled one."""

    def identify(self, session: Any) -> Identity:
        """One cheap call that proves the credentials work."""

    def classify_error(self, exc: BaseException) -> str:
        """A :class:`CollectionError` kind for an exception raised by a collector."""

    def validate_regions(self, regions: list[str]) -> None:
        """Raise ValueError naming any region the provider would not know."""


class Registry:
    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}
        self._collectors: dict[str, dict[str, CollectorSpec]] = {}
        self._unloaded: dict[str, tuple[str, ...]] = {}
        self._load_lock = threading.Lock()

    def add_provider(self, provider: Provider, collector_modules: Iterable[str] = ()) -> Provider:
        """Register ``provider``; ``collector_modules`` register its collectors when first asked for."""
        self._providers[provider.name] = provider
        self._collectors.setdefault(provider.name, {})
        self._unloaded[provider.name] = tuple(collector_modules)
        return provider

    def _load_collectors(self, provider: str) -> None:
        """Import the provider's collector modules (and so its SDK) once, on the first call that needs them."""
        if not self._unloaded.get(provider):
            return
        with self._load_lock:
            for module in self._unloaded.get(provider, ()):
                importlib.import_module(module)
            self._unloaded[provider] = ()

    def collector(
        self, provider: str, service: str, *, regional: bool = True, permissions: Iterable[str] = ()
    ) -> Callable[[CollectorFn], CollectorFn]:
        """Register ``fn`` for (provider, service); ``permissions`` are the read-only cloud permissions its calls need
        (IAM actions, Azure operations, Google Cloud permissions, Kubernetes ``verb resource.group``)."""

        def register(fn: CollectorFn) -> CollectorFn:
            services = self._collectors.setdefault(provider, {})
            if service in services and services[service].fn is not fn:
                raise ValueError(f"collector {provider}/{service} is registered twice")
            services[service] = CollectorSpec(provider, service, fn, regional, tuple(permissions))
            return fn

        return register

    def provider(self, name: str) -> Provider:
        try:
            return self._providers[name]
        except KeyError:
            known = ", ".join(sorted(self._providers)) or "none"
            raise UnknownProvider(f"unknown provider {name!r} (available: {known})") from None

    def provider_names(self) -> list[str]:
        return sorted(self._providers)

    def collectors(self, provider: str, services: Iterable[str] | None = None) -> list[CollectorSpec]:
        self._load_collectors(provider)
        specs = self._collectors.get(provider, {})
        if services is None:
            return [specs[name] for name in sorted(specs)]
        unknown = sorted(set(services) - set(specs))
        if unknown:
            raise KeyError(f"unknown {provider} services: {', '.join(unknown)} (known: {', '.join(sorted(specs))})")
        return [specs[name] for name in sorted(set(services))]


REGISTRY = Registry()


class BaseProvider:
    """Shared credential checks and error classification for providers.

    ``credential_groups`` lists fields that only make sense together (an
    access key id needs its secret); ``exclusive_groups`` lists groups of
    which at most one may be given (a profile or access keys, not both).
    """

    name: str = ""
    title: str = ""
    credential_fields: tuple[CredentialField, ...] = ()
    permissions: tuple[str, ...] = ()  # what connect, identify and list_regions call, beside the collectors'
    credential_groups: tuple[tuple[str, ...], ...] = ()
    exclusive_groups: tuple[tuple[str, ...], ...] = ()
    credentials_required: bool = False
    region_pattern: re.Pattern[str] = re.compile(r"^[a-z][a-z0-9-]{1,48}[a-z0-9]$")

    def validate_regions(self, regions: list[str]) -> None:
        bad = [r for r in regions if not self.region_pattern.match(r)]
        if bad:
            raise ValueError(f"not {self.name} region names: {', '.join(repr(r) for r in bad)}")

    def validate_credentials(self, credentials: dict[str, Any]) -> None:
        known = {f.name for f in self.credential_fields}
        unknown = sorted(set(credentials) - known)
        if unknown:
            flags = ", ".join("--" + name.replace("_", "-") for name in unknown)
            raise InvalidCredentials(f"{flags} do not apply to {self.name} accounts")
        given = {k for k, v in credentials.items() if v not in (None, "")}
        if self.credentials_required and not given:
            options = ", ".join(f.flag for f in self.credential_fields)
            raise InvalidCredentials(f"{self.name} accounts need credentials ({options})")
        for group in self.credential_groups:
            present = given & set(group)
            if present and present != set(group):
                missing = ", ".join("--" + n.replace("_", "-") for n in group if n not in present)
                raise InvalidCredentials(f"missing credentials: {missing}")
        used = [group for group in self.exclusive_groups if given & set(group)]
        if len(used) > 1:
            names = " and ".join("/".join("--" + n.replace("_", "-") for n in g) for g in used)
            raise InvalidCredentials(f"choose one way to authenticate, not {names}")

    def check_policy(self, credentials: dict[str, Any], policy: CredentialPolicy) -> None:
        if policy.server_files:
            return
        for spec in self.credential_fields:
            if spec.server_file and credentials.get(spec.name) not in (None, ""):
                raise InvalidCredentials(
                    f"{spec.flag} names a file on the Posture server: only the operator can set it, "
                    "from the command line (manage.py accounts)"
                )

    def classify_error(self, exc: BaseException) -> str:
        if isinstance(exc, NotImplementedError):
            return "unsupported"
        if isinstance(exc, TimeoutError):
            return "timeout"
        if isinstance(exc, PermissionError):
            return "denied"
        if isinstance(exc, (ValueError, KeyError, TypeError)):
            return "invalid_response"
        return "error"
