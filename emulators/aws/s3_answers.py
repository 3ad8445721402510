"""S3's GetBucketAcl and GetObjectAcl on moto, answered with every grant.

moto keeps a grant as grantees and permissions (a canned ACL such as ``log-delivery-write`` is one grant: the
LogDelivery group with WRITE and READ_ACP) but answers only each grant's first grantee with its first
permission. S3 answers one ``Grant`` per grantee and permission, so the mend below lists them all.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Mend moto's ACL answers (idempotent)."""
    from moto.s3.responses import S3Response

    S3Response._acl_to_dict = staticmethod(acl_answer)  # type: ignore[method-assign]


def acl_answer(acl: Any) -> dict[str, Any]:
    """An ACL as S3 answers it: its owner, and a grant for each (grantee, permission) pair."""
    grants = [
        {
            "Grantee": {
                "Type": grantee.type,
                "URI": grantee.uri or None,
                "ID": grantee.id or None,
                "DisplayName": grantee.display_name or None,
            },
            "Permission": permission,
        }
        for grant in acl.grants
        for grantee in grant.grantees
        for permission in grant.permissions
    ]
    # moto's fixed owner, as its own answer gives it
    owner = {"ID": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "DisplayName": "webfile"}
    return {"Owner": owner, "Grants": grants}
