"""The shared redaction of collected configuration: secrets go, harmless look-alikes stay."""

from __future__ import annotations

import pytest

from collectors.redact import REDACTED, redact_annotations, redact_args, redact_string


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("postgres://app:pass@db/x", f"postgres://{REDACTED}@db/x"),
        ("amqp://guest@mq:5672", f"amqp://{REDACTED}@mq:5672"),
        ("run --password=hunter2 --verbose", f"run --password={REDACTED} --verbose"),
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", REDACTED),
        ("AKIAIOSFODNN7EXAMPLE", REDACTED),
        ("xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy", REDACTED),
        ("glpat-xxxxxxxxxxxxxxxxxxxx", REDACTED),
    ],
)
def test_secrets_in_strings_are_redacted(value: str, expected: str) -> None:
    assert redact_string(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "https://example.com/path@v1",
        "--password-file=/run/secrets/pw",
        "--token-path /var/run/token",
        "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "ghcr.io/org/app:v1.2.3",
        "user@example.com",
    ],
)
def test_look_alikes_are_kept(value: str) -> None:
    assert redact_string(value) == value
    assert redact_args([value]) == [value]


def test_the_value_after_a_secret_flag_is_redacted_but_not_after_a_reference_flag() -> None:
    args = ["--db-password", "s3cret", "--password-file", "/pw", "--token", "--verbose", "-p", "8080"]
    assert redact_args(args) == [
        "--db-password",
        REDACTED,
        "--password-file",
        "/pw",
        "--token",
        "--verbose",
        "-p",
        "8080",
    ]


def test_annotations_named_like_secrets_or_holding_json_secrets_are_redacted() -> None:
    annotations = {
        "vault.example.com/api-key": "abc",
        "example.com/owner": "team-a",
        "example.com/env": '[{"name": "API_TOKEN", "value": "t0k"}, {"name": "MODE", "value": "x"}]',
    }
    assert redact_annotations(annotations) == {
        "vault.example.com/api-key": REDACTED,
        "example.com/owner": "team-a",
        "example.com/env": f'[{{"name":"API_TOKEN","value":"{REDACTED}"}},{{"name":"MODE","value":"x"}}]',
    }
