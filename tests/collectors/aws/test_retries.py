"""AWS calls retry throttling up to POSTURE_AWS_MAX_ATTEMPTS and other failures up to the SDKs' standard 3.

A loopback server answers Access Analyzer's ListAnalyzers (REST-JSON) from a script of statuses; the real
client (``AwsSession.client``: adaptive mode, Posture's retry handler) calls it, and botocore's back-off sleeps
are recorded instead of slept.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from collectors.aws.provider import AwsSession, new_session
from collectors.aws.retries import TRANSIENT_MAX_ATTEMPTS
from tests.collectors.aws.conftest import JsonHandler, serving

Answer = tuple[int, dict[str, Any] | None]

THROTTLED: Answer = (400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
SERVER_ERROR: Answer = (500, {"__type": "InternalServerException", "message": "internal"})
BROKEN: Answer = (500, None)  # an HTML page, as a proxy or an emulator's crash answers
REFUSED: Answer = (403, {"__type": "AccessDeniedException", "message": "no"})
OK: Answer = (200, {"analyzers": []})


class Script:
    """What the server answers, in turn (the last answer repeats), and how many requests it had."""

    def __init__(self) -> None:
        self.answers: list[Answer] = [OK]
        self.requests = 0
        self.url = ""
        self.lock = threading.Lock()

    def next(self) -> Answer:
        with self.lock:
            self.requests += 1
            return self.answers[min(self.requests, len(self.answers)) - 1]


@pytest.fixture
def script() -> Iterator[Script]:
    plan = Script()

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            status, body = plan.next()
            modeled = body is not None and status >= 400
            self.answer(status, body, [("x-amzn-ErrorType", body["__type"])] if modeled else [])

    with serving(Handler) as url:
        plan.url = url
        yield plan


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's back-off delays, recorded instead of slept; the adaptive mode's rate limiter (botocore's own,
    untouched by Posture) is left out, as its token bucket waits in real time once throttled."""
    import botocore.endpoint
    import botocore.retries.adaptive

    monkeypatch.setattr(botocore.retries.adaptive, "register_retry_handler", lambda client: None)

    slept: list[float] = []

    class Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            slept.append(seconds)

    monkeypatch.setattr(botocore.endpoint, "time", Clock)
    return slept


def list_analyzers(script: Script, monkeypatch: pytest.MonkeyPatch, attempts: str | None = None) -> dict[str, Any]:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    if attempts is None:
        monkeypatch.delenv("POSTURE_AWS_MAX_ATTEMPTS", raising=False)
    else:
        monkeypatch.setenv("POSTURE_AWS_MAX_ATTEMPTS", attempts)
    session = AwsSession(new_session(region_name="us-east-1"), endpoint_url=script.url)
    return session.client("accessanalyzer", "us-east-1").list_analyzers()


@pytest.mark.parametrize("failure", [SERVER_ERROR, BROKEN], ids=["modeled", "html"])
def test_a_server_error_is_tried_three_times_then_raised(
    script: Script, sleeps: list[float], monkeypatch: pytest.MonkeyPatch, failure: Answer
) -> None:
    """botocore's own handler would try 6 times: three requests show Posture's answers alone."""
    script.answers = [failure]
    with pytest.raises(ClientError) as raised:
        list_analyzers(script, monkeypatch)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert script.requests == TRANSIENT_MAX_ATTEMPTS == 3
    assert len(sleeps) == 2 and all(0 <= s <= 0.1 for s in sleeps)  # 50 ms scale: rand * 0.05 * 2**i


def test_a_server_error_that_clears_on_the_third_attempt_succeeds(
    script: Script, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    script.answers = [SERVER_ERROR, BROKEN, OK]
    assert list_analyzers(script, monkeypatch)["analyzers"] == []
    assert script.requests == 3


def test_throttling_is_ridden_out_past_three_attempts(
    script: Script, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    script.answers = [THROTTLED] * 5 + [OK]
    assert list_analyzers(script, monkeypatch)["analyzers"] == []
    assert script.requests == 6
    assert len(sleeps) == 5


def test_throttling_stops_at_the_configured_attempts(
    script: Script, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    script.answers = [THROTTLED]
    with pytest.raises(ClientError, match="ThrottlingException"):
        list_analyzers(script, monkeypatch)
    assert script.requests == 6  # POSTURE_AWS_MAX_ATTEMPTS's default: attempts, not retries after the first


def test_a_mix_counts_every_attempt_and_stops_server_errors_at_three(
    script: Script, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two throttled answers, then a server error: the third attempt was the last a server error gets."""
    script.answers = [THROTTLED, THROTTLED, SERVER_ERROR, OK]
    with pytest.raises(ClientError, match="InternalServerException"):
        list_analyzers(script, monkeypatch)
    assert script.requests == 3


@pytest.mark.parametrize(("attempts", "throttled", "server"), [("1", 1, 1), ("2", 2, 2), ("10", 10, 3)])
def test_the_setting_is_the_number_of_attempts(
    script: Script,
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
    attempts: str,
    throttled: int,
    server: int,
) -> None:
    for failure, expected in ((THROTTLED, throttled), (SERVER_ERROR, server)):
        script.answers, script.requests = [failure], 0
        with pytest.raises(ClientError):
            list_analyzers(script, monkeypatch, attempts)
        assert script.requests == expected


def test_a_refusal_is_not_retried(script: Script, sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    script.answers = [REFUSED, OK]
    with pytest.raises(ClientError, match="AccessDeniedException"):
        list_analyzers(script, monkeypatch)
    assert script.requests == 1 and sleeps == []
