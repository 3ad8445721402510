"""API Gateway rules: REST and HTTP/WebSocket API stages write access logs."""

from __future__ import annotations

from posture.rules.registry import field_rule

RATIONALE = (
    "Access logs record who called the API, from where and with what result; without them abuse of the API leaves "
    "no trace (execution logs are for debugging and may be sampled)."
)

field_rule(
    id="aws.apigateway.stage_access_logging_enabled",
    title="API Gateway REST API stages write access logs",
    severity="medium",
    category="logging",
    resource_type="aws.apigateway.stage",
    path="accessLogSettings.destinationArn",
    expect=bool,
    ok="access logs go to {value}",
    bad="the stage writes no access logs",
    rationale=RATIONALE,
    remediation="aws apigateway update-stage --rest-api-id ID --stage-name STAGE --patch-operations "
    "op=replace,path=/accessLogSettings/destinationArn,value=LOG_GROUP_ARN",
)


field_rule(
    id="aws.apigateway.v2_stage_access_logging_enabled",
    title="API Gateway HTTP and WebSocket API stages write access logs",
    severity="medium",
    category="logging",
    resource_type="aws.apigateway.v2_stage",
    path="AccessLogSettings.DestinationArn",
    expect=bool,
    ok="access logs go to {value}",
    bad="the stage writes no access logs",
    rationale=RATIONALE,
    remediation="aws apigatewayv2 update-stage --api-id ID --stage-name STAGE --access-log-settings "
    "DestinationArn=LOG_GROUP_ARN,Format=FORMAT",
)
