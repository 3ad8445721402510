"""The account's contacts (``account.contacts``): its security, operations and billing alternate contacts.

The primary contact information (names, address, phone) is personal data no rule judges: it is not collected.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws.common import Secondary, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

# config key -> AlternateContactType
CONTACTS = {"SecurityContact": "SECURITY", "OperationsContact": "OPERATIONS", "BillingContact": "BILLING"}


@REGISTRY.collector(
    "aws",
    "account",
    regional=False,
    permissions=("account:GetAlternateContact",),
)
def collect_contacts(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    client = session.client("account")
    account = session.account_id()
    extra = Secondary()
    config: dict[str, object] = {"AccountId": account}
    for key, kind in CONTACTS.items():
        answer = extra.call(
            key, client.get_alternate_contact, AlternateContactType=kind, absent=("ResourceNotFoundException",)
        )
        config[key] = (answer or {}).get("AlternateContact")
    yield record("account", "account.contacts", f"arn:aws:account::{account}:account", account, extra.attach(config))
