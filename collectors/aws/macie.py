"""Amazon Macie per region (``macie2.region_settings``): whether sensitive data discovery runs there."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws.common import error_code, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def macie_is_off(exc: BaseException) -> bool:
    """AWS answers AccessDenied "Macie is not enabled" (emulators: not found) where Macie was never enabled."""
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")).lower()
    code = error_code(exc)
    return code == "ResourceNotFoundException" or (code == "AccessDeniedException" and "not enabled" in message)


@REGISTRY.collector(
    "aws",
    "macie2",
    permissions=("macie2:GetMacieSession",),
)
def collect_macie(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    client = session.client("macie2", region)
    account = session.account_id()
    try:
        macie = client.get_macie_session()
    except Exception as exc:
        if not macie_is_off(exc):
            raise
        macie = None
    config = {"AccountId": account, "Region": region, "Session": macie}
    uid = f"arn:aws:macie2:{region}:{account}:session"
    yield record("macie2", "macie2.region_settings", uid, f"{account}/{region}", config, region=region)
