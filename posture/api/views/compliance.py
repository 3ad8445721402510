from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from posture.access.scoping import scope
from posture.findings.compliance import summaries, summary, trend
from posture.findings.scoring import STATUS_LABELS
from posture.inventory.models import CloudAccount
from posture.rules.framework_json import framework_json
from posture.rules.frameworks import FrameworkError, catalog

SCOPE = [
    OpenApiParameter("account", OpenApiTypes.STR, description="one account's name"),
    OpenApiParameter("team", OpenApiTypes.STR, description="every account of a team"),
]


def framework_or_404(framework_id: str):
    try:
        return catalog().get(framework_id)
    except FrameworkError as exc:
        raise NotFound(str(exc)) from None


def scoped_accounts(request, allowed: set[str]):
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError({name: ["unknown filter"] for name in unknown})
    accounts = scope(CloudAccount.objects.all(), request.user, account_path="")
    if request.query_params.get("account"):
        accounts = accounts.filter(name=request.query_params["account"])
        if not accounts.exists():
            raise ValidationError({"account": [f"no account named {request.query_params['account']!r}"]})
    if request.query_params.get("team"):
        accounts = accounts.filter(team=request.query_params["team"])
    return accounts


class FrameworkSummarySerializer(serializers.Serializer):
    """One framework in the list: its size, not its controls (GET frameworks/{id}/ has those)."""

    id = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField()
    provider = serializers.CharField()
    controls = serializers.IntegerField(help_text="how many controls")


class FrameworkViewSet(viewsets.ViewSet):
    """Frameworks as data: sections, controls, assessments and the rules that evidence them."""

    lookup_value_regex = "[^/]+"

    @extend_schema(operation_id="frameworks_list", responses={200: FrameworkSummarySerializer(many=True)})
    def list(self, request):
        return Response(
            [
                {
                    "id": fw.id,
                    "title": fw.title,
                    "version": fw.version,
                    "provider": fw.provider,
                    "controls": len(fw.controls),
                }
                for fw in catalog()
            ]
        )

    @extend_schema(responses={200: dict})
    def retrieve(self, request, pk=None):
        return Response(framework_json(framework_or_404(pk)))


SCORING_MODEL = (
    "Every number comes from one scoring model (the README's 'How compliance is scored'): accounts in scope are "
    "those whose latest finished scan the framework applies to; a control is evaluated when a rule gave a PASS or "
    "FAIL verdict in scope, whatever CIS's manual label says; a control no verdict decides needs attestation, and "
    "an active attestation decides it; score = passed / (evaluated + attested) controls; resources_failed = "
    "distinct resources failing at least one control, muted findings excluded. The trend's newest point equals "
    "this headline."
)
_count = serializers.IntegerField
SCORE_FIELDS = {
    "framework": serializers.DictField(help_text="id, title, version, provider"),
    "accounts": _count(help_text="accounts in scope: their latest scan has this framework"),
    "score": serializers.FloatField(allow_null=True, help_text="percent of scored controls passing; null: none"),
    "controls_passed": _count(help_text="evaluated or attested controls that pass"),
    "controls_failed": _count(help_text="evaluated or attested controls that fail"),
    "controls_evaluated": _count(help_text="controls scored: evaluated by rules plus attested"),
    "controls_attested": _count(help_text="controls decided by an active attestation"),
    "needs_attestation": _count(help_text="in-scope controls no verdict or attestation decides"),
    "resources_failed": _count(help_text="distinct resources failing at least one control"),
    "resources_passed": _count(help_text="distinct resources with verdicts, none failing"),
    "resources_evaluated": _count(help_text="distinct resources with a verdict"),
    "resource_pass_rate": serializers.FloatField(allow_null=True),
    "account_ids": serializers.ListField(child=_count()),
}
CONTROL = inline_serializer(
    "ComplianceControl",
    {
        "id": serializers.CharField(),
        "title": serializers.CharField(),
        "assessment": serializers.ChoiceField(["automated", "manual"], help_text="CIS's label"),
        "status": serializers.ChoiceField(list(STATUS_LABELS)),
        "status_label": serializers.CharField(),
        "evaluated_by": serializers.ChoiceField(["rules", "attestation", ""]),
        "attestations": serializers.ListField(child=_count(), help_text="ids of the attestations deciding it"),
        "rules": serializers.ListField(child=serializers.CharField()),
        "passed": _count(help_text="distinct resources passing"),
        "failed": _count(help_text="distinct resources failing"),
        "errored": _count(),
        "manual": _count(help_text="manual verdicts"),
    },
    many=True,
)
SECTION = inline_serializer(
    "ComplianceSection",
    {
        "id": serializers.CharField(),
        "title": serializers.CharField(),
        "parent": serializers.CharField(allow_null=True),
        "controls": CONTROL,
    },
    many=True,
)
SCORES = inline_serializer("ComplianceScore", SCORE_FIELDS, many=True)
SUMMARY = inline_serializer("ComplianceSummary", {**SCORE_FIELDS, "sections": SECTION})
POINT = inline_serializer(
    "ComplianceTrendPoint",
    {"date": serializers.DateField(), **{k: v for k, v in SCORE_FIELDS.items() if k != "framework"}},
)
TREND = inline_serializer(
    "ComplianceTrend", {"framework": serializers.CharField(), "bucket": serializers.CharField(), "points": POINT}
)


class ComplianceViewSet(viewsets.ViewSet):
    """Scores per framework for an account, a team or everything, from the compliance snapshots."""

    lookup_value_regex = "[^/]+"

    @extend_schema(operation_id="compliance_list", parameters=SCOPE, responses={200: SCORES}, description=SCORING_MODEL)
    def list(self, request):
        accounts = scoped_accounts(request, {"account", "team"})
        out = summaries(list(catalog()), accounts)
        for s in out:
            s.pop("sections")
        return Response(out)

    @extend_schema(parameters=SCOPE, responses={200: SUMMARY}, description=SCORING_MODEL)
    def retrieve(self, request, pk=None):
        fw = framework_or_404(pk)
        return Response(summary(fw, scoped_accounts(request, {"account", "team"})))

    @extend_schema(
        parameters=[
            *SCOPE,
            OpenApiParameter("days", OpenApiTypes.INT, description="how far back (default 30, at most 730)"),
            OpenApiParameter("bucket", OpenApiTypes.STR, enum=["day", "week"]),
        ],
        responses={200: TREND},
        description=SCORING_MODEL,
    )
    def trend(self, request, pk=None):
        fw = framework_or_404(pk)
        accounts = scoped_accounts(request, {"account", "team", "days", "bucket"})
        try:
            days = int(request.query_params.get("days", 30))
        except ValueError:
            raise ValidationError({"days": ["a whole number"]}) from None
        if not 1 <= days <= 730:
            raise ValidationError({"days": ["between 1 and 730"]})
        bucket = request.query_params.get("bucket", "day")
        if bucket not in ("day", "week"):
            raise ValidationError({"bucket": ["day or week"]})
        end = timezone.now()
        points = trend(fw.id, accounts, start=end - timedelta(days=days - 1), end=end, weekly=bucket == "week")
        return Response({"framework": fw.id, "bucket": bucket, "points": points})
