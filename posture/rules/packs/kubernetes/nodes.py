"""Kubelet rules over each node's live configuration (``kubernetes.nodes.kubelet_config``, read from configz).

The record is the kubelet's KubeletConfiguration as it runs: flags and config file merged, defaults filled
in. Its JSON leaves out zero values (``readOnlyPort`` 0, ``rotateCertificates`` false), so an absent field
is read as the zero value, except where the field is a pointer the kubelet defaults (``makeIPTablesUtilChains``,
``eventRecordQPS``, feature gates). A node whose configz could not be read gives ERROR on every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import Expectation, FieldCheck, Message, rule
from posture.rules.verdicts import Verdict, unreadable

KUBELET = "kubernetes.nodes.kubelet_config"
MIN_EVENT_QPS = 5  # the kubelet's own former default; below it, bursts of events are dropped
KUBELET_DOCS = "https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/"


@dataclass(frozen=True, slots=True)
class KubeletCheck(FieldCheck):
    """A field check that says ERROR, not FAIL, for a node whose configz could not be read."""

    def __call__(self, resource: ResourceRecord, ctx: RuleContext) -> Verdict:
        return unreadable(resource, "configz", "the kubelet configuration") or FieldCheck.__call__(self, resource, ctx)


@dataclass(frozen=True, slots=True)
class KubeletSetting:
    """One kubelet setting the rules judge: ``name`` ends the rule ids (``kubernetes.nodes.<name>``, and
    ``aws.eks.nodegroup_<name>`` over a node group's launch template); ``path`` is its KubeletConfiguration field."""

    name: str
    title: str
    severity: str
    path: str
    expect: Expectation
    ok: Message
    bad: Message
    rationale: str
    remediation: str


def register(setting: KubeletSetting) -> KubeletCheck:
    judge = KubeletCheck(path=setting.path, expect=setting.expect, ok=setting.ok, bad=setting.bad)
    rule(
        id=f"kubernetes.nodes.{setting.name}",
        title=setting.title,
        severity=setting.severity,
        category="cluster",
        resource_type=KUBELET,
        rationale=setting.rationale,
        remediation=setting.remediation,
        references=(KUBELET_DOCS,),
        module=__name__,
    )(judge)
    return judge


def is_zero_duration(value: Any) -> bool:
    """A Go duration (``0s``, ``0h0m0s``, ``4h0m0s``) or a number that is zero."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    digits = re.sub(r"[a-zµ]", "", str(value or "").strip().lower())
    return bool(digits) and set(digits) <= {"0", "."}


SETTINGS = (
    KubeletSetting(
        name="kubelet_anonymous_auth_disabled",
        title="Kubelet refuses anonymous requests",
        severity="high",
        path="authentication.anonymous.enabled",
        expect=False,
        ok="anonymous requests are refused",
        bad=lambda v: "anonymous requests are served" if v else f"anonymous authentication is not off ({v})",
        rationale="With anonymous authentication on, anyone who reaches the kubelet port is system:anonymous to it.",
        remediation="Set authentication.anonymous.enabled: false in the kubelet config (--anonymous-auth=false).",
    ),
    KubeletSetting(
        name="kubelet_authorization_not_always_allow",
        title="Kubelet authorizes requests (not AlwaysAllow)",
        severity="high",
        path="authorization.mode",
        expect=lambda mode: bool(mode) and mode != "AlwaysAllow",
        ok="authorization mode {value}",
        bad="authorization mode {value}: every authenticated request may do anything on the node",
        rationale="AlwaysAllow lets any authenticated caller exec into pods and read logs through the kubelet.",
        remediation="Set authorization.mode: Webhook in the kubelet configuration (--authorization-mode=Webhook).",
    ),
    KubeletSetting(
        name="kubelet_client_ca_configured",
        title="Kubelet verifies client certificates against a CA",
        severity="high",
        path="authentication.x509.clientCAFile",
        expect=bool,
        ok="client certificates are checked against {value}",
        bad="no client CA file: client certificates are not verified",
        rationale="Without a client CA the kubelet cannot authenticate the API server or other clients by certificate.",
        remediation="Set authentication.x509.clientCAFile to the cluster CA (--client-ca-file).",
    ),
    KubeletSetting(
        name="kubelet_read_only_port_disabled",
        title="Kubelet read-only port is disabled",
        severity="medium",
        path="readOnlyPort",
        expect=lambda port: port in (None, 0),
        ok="the read-only port is off",
        bad="the unauthenticated read-only port {value} is open",
        rationale="The read-only port serves pod specs and node data with no authentication or authorization at all.",
        remediation="Set readOnlyPort: 0 in the kubelet configuration (--read-only-port=0).",
    ),
    KubeletSetting(
        name="kubelet_streaming_idle_timeout_set",
        title="Kubelet closes idle streaming connections",
        severity="low",
        path="streamingConnectionIdleTimeout",
        expect=lambda timeout: not is_zero_duration(timeout),
        ok=lambda v: f"idle streams close after {v or 'the default 4h'}",
        bad="idle exec/attach/port-forward streams never time out ({value})",
        rationale="Streams that never time out keep exec and port-forward sessions open and exhaust the node.",
        remediation="Set streamingConnectionIdleTimeout to a non-zero duration (e.g. 5m).",
    ),
    KubeletSetting(
        name="kubelet_iptables_util_chains",
        title="Kubelet manages its iptables chains",
        severity="low",
        path="makeIPTablesUtilChains",
        expect=lambda value: value is not False,  # a pointer the kubelet defaults to true
        ok="the kubelet keeps its iptables chains",
        bad="makeIPTablesUtilChains is false: iptables rules may drift from pod networking",
        rationale="Letting the kubelet manage iptables keeps node networking consistent with the pods it runs.",
        remediation="Set makeIPTablesUtilChains: true (--make-iptables-util-chains=true).",
    ),
    KubeletSetting(
        name="kubelet_protect_kernel_defaults",
        title="Kubelet protects kernel defaults",
        severity="low",
        path="protectKernelDefaults",
        expect=True,
        ok="the kubelet refuses to run on kernel settings that differ from its defaults",
        bad="protectKernelDefaults is off: the kubelet tunes kernel settings itself",
        rationale="With protectKernelDefaults the kubelet fails instead of silently changing kernel tunables.",
        remediation="Set protectKernelDefaults: true and the matching sysctls on the node image.",
    ),
    KubeletSetting(
        name="kubelet_event_record_qps",
        title="Kubelet records events at an adequate rate",
        severity="low",
        path="eventRecordQPS",
        expect=lambda qps: qps is None or (isinstance(qps, int | float) and (qps == 0 or qps >= MIN_EVENT_QPS)),
        ok=lambda v: (
            "events are not rate-limited" if v == 0 else f"events are recorded at up to {v or 'the default'}/s"
        ),
        bad=f"eventRecordQPS {{value}}: bursts of events are dropped (0 = unlimited, or at least {MIN_EVENT_QPS})",
        rationale="A very low event rate limit drops events that investigations need.",
        remediation=f"Set eventRecordQPS to 0 (unlimited) or at least {MIN_EVENT_QPS}.",
    ),
    KubeletSetting(
        name="kubelet_rotates_client_certificates",
        title="Kubelet rotates its client certificate",
        severity="medium",
        path="rotateCertificates",
        expect=True,
        ok="the client certificate is rotated before it expires",
        bad="rotateCertificates is off: the client certificate is never renewed",
        rationale="Rotation renews the kubelet's credentials before expiry, keeping their lifetime short.",
        remediation="Set rotateCertificates: true (--rotate-certificates).",
    ),
    KubeletSetting(
        name="kubelet_rotates_server_certificate",
        title="Kubelet server certificate rotation is not turned off",
        severity="medium",
        path="featureGates.RotateKubeletServerCertificate",
        expect=lambda gate: gate is not False,  # on by default since it went beta
        ok="server certificate rotation is on",
        bad="the RotateKubeletServerCertificate feature gate is off",
        rationale="A rotated serving certificate keeps the kubelet's TLS identity short-lived.",
        remediation="Remove RotateKubeletServerCertificate=false from the feature gates; use serverTLSBootstrap.",
    ),
)
CHECKS = {setting.name: register(setting) for setting in SETTINGS}
