"""Failures are messages in words with non-secret facts; the raw text reaches the DEBUG log only, scrubbed."""

from __future__ import annotations

import http.client
import logging

import botocore.exceptions
import pytest
import yaml

from collectors.failures import describe, detail
from collectors.records import Target
from collectors.redact import REDACTED, credential_values, scrub_text
from collectors.run import collect, plan
from tests.collectors.test_run import Provider, make_registry

TOKEN = "k8s-token-3f9a1c2b7d6e5f4a3b2c1d0e"


def header_error(token: str) -> ValueError:
    """What http.client (under urllib3 and requests) raises for a token pasted with its newline."""
    connection = http.client.HTTPConnection("127.0.0.1", 9)
    connection.putrequest("GET", "/")
    with pytest.raises(ValueError) as raised:
        connection.putheader("Authorization", f"Bearer {token}\n")
    return raised.value


def test_a_token_with_a_trailing_newline_is_not_in_the_message() -> None:
    exc = header_error(TOKEN)
    assert TOKEN in str(exc)  # the SDK quotes it: that is the defect
    assert describe(exc, "invalid_response") == "the answer could not be read (ValueError)"
    assert TOKEN not in detail(exc) and "Invalid header value" in detail(exc)


def test_a_cloud_error_keeps_its_code_status_and_operation_but_not_its_text() -> None:
    exc = botocore.exceptions.ClientError(
        {
            "Error": {"Code": "AccessDenied", "Message": "User arn:aws:iam::1:user/x sent key=AKIAABCDEFGHIJKLMNOP"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        },
        "ListBuckets",
    )
    assert describe(exc, "denied") == "access was denied (ClientError, AccessDenied, HTTP 403, in ListBuckets)"
    assert "AKIAABCDEFGHIJKLMNOP" not in detail(exc)


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ("Authorization: Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy"),
        ("{'authorization': 'Bearer abc.def-ghi'}", "abc.def-ghi"),
        ("X-Amz-Security-Token: FwoGZXIvYXdzEJr", "FwoGZXIvYXdzEJr"),
        ("connect postgres://app:s3cret@db:5432/x failed", "s3cret"),
        ("client_secret=Abc~123.xyz&grant_type=client_credentials", "Abc~123.xyz"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA"),
        ("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl", "eyJzdWIiOiJib2IifQ"),
        ("opaque 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "9f86d081884c7d659a2feaa0"),
        ("found ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghij"),
    ],
)
def test_the_scrubber_removes_credential_shapes(raw: str, secret: str) -> None:
    scrubbed = scrub_text(raw)
    assert secret not in scrubbed and REDACTED in scrubbed


def test_the_scrubber_keeps_what_helps_and_removes_known_values() -> None:
    text = "GET https://ec2.us-east-1.amazonaws.com/ failed: Connection refused, said the-plain-password"
    assert scrub_text(text) == text
    assert scrub_text(text, ["the-plain-password\n".strip()]).endswith(f"said {REDACTED}")


def test_the_known_values_of_an_account_include_a_kubeconfig_token() -> None:
    kubeconfig = {"users": [{"name": "u", "user": {"token": TOKEN + "\n"}}], "clusters": [{"name": "c"}]}
    known = credential_values({"kubeconfig_content": yaml.safe_dump(kubeconfig), "context": "prod"})
    assert TOKEN in known and "prod" not in known


def test_a_failing_unit_stores_words_and_logs_the_detail_scrubbed_at_debug_only(caplog) -> None:
    def fn(session, region):
        raise header_error(TOKEN)
        yield

    registry = make_registry(fn, regional=False)
    units = plan(Provider(), None, Target("unit", "t"), registry)
    with caplog.at_level(logging.DEBUG, logger="collectors"):
        result = collect(Provider(), None, units, known_secrets=(TOKEN,))
    assert [e.as_dict() for e in result.errors] == [
        {
            "service": "svc",
            "region": "global",
            "kind": "invalid_response",
            "error": "the answer could not be read (ValueError)",
        }
    ]
    assert TOKEN not in caplog.text
    assert [r.levelno for r in caplog.records] == [logging.INFO, logging.DEBUG]
    assert "Invalid header value" not in caplog.records[0].getMessage()  # INFO: the words only
    assert "Invalid header value" in caplog.records[1].getMessage()  # DEBUG: the scrubbed detail
