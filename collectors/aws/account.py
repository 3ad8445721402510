"""The account's contacts (``account.contacts``): the security alternate contact.

The primary contact information (names, address, phone) is personal data no rule judges: it is not collected.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws.common import Secondary, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


@REGISTRY.collector("aws", "account", regional=False)
def collect_contacts(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    client = session.client("account")
    account = session.account_id()
    extra = Secondary()
    security = extra.call(
        "SecurityContact",
        client.get_alternate_contact,
        AlternateContactType="SECURITY",
        absent=("ResourceNotFoundException",),
    )
    config = {
        "AccountId": account,
        "SecurityContact": (security or {}).get("AlternateContact"),
    }
    yield record("account", "account.contacts", f"arn:aws:account::{account}:account", account, extra.attach(config))
