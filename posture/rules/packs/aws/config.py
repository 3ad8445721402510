"""AWS Config rules: a recorder records every resource in each region."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, observed


@rule(
    id="aws.config.recorder_enabled_in_region",
    title="AWS Config records all resource types in the region",
    severity="medium",
    category="logging",
    resource_type="aws.config.region_settings",
    rationale="The configuration history is what tells you how a resource looked before an incident.",
    remediation="Create a configuration recorder with recordingGroup allSupported=true and a delivery channel, "
    "then start it, in every region.",
)
def config_recorder(resource: ResourceRecord, ctx: Any) -> Verdict:
    recorders = resource.config.get("ConfigurationRecorders") or []
    for n, recorder in enumerate(recorders):
        status = recorder.get("Status") or {}
        group = recorder.get("recordingGroup") or {}
        if group.get("allSupported") and status.get("recording") and status.get("lastStatus", "SUCCESS") != "FAILURE":
            return check(
                True,
                f"recorder {recorder.get('name')} records all supported resource types",
                "",
                observed(resource.config, f"ConfigurationRecorders.{n}.recordingGroup.allSupported"),
                observed(resource.config, f"ConfigurationRecorders.{n}.Status.recording"),
            )
    if not recorders:
        return check(
            False, "", "the region has no configuration recorder", observed(resource.config, "ConfigurationRecorders")
        )
    return check(
        False,
        "",
        "no recorder in the region records all resource types successfully",
        observed(resource.config, "ConfigurationRecorders.0.recordingGroup.allSupported"),
        observed(resource.config, "ConfigurationRecorders.0.Status.recording"),
        observed(resource.config, "ConfigurationRecorders.0.Status.lastStatus"),
    )
