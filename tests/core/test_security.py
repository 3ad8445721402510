"""Security headers, a clean deploy check, and no server-side request forgery through endpoint URLs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from posture.inventory.models import CloudAccount
from posture.security import UnsafeURL, check_outbound_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "::1", "fe80::1", "fd00::1", "0.0.0.0"],
)
def test_internal_addresses_are_refused(settings, address) -> None:
    settings.ALLOWED_NETWORKS = []
    with pytest.raises(UnsafeURL, match="POSTURE_ALLOWED_NETWORKS"):
        check_outbound_url("http://emulator.example:8080/", resolve=lambda host: [address])


def test_public_and_allowed_addresses_pass(settings) -> None:
    settings.ALLOWED_NETWORKS = ["10.20.0.0/16"]
    check_outbound_url("https://api.example.com/", resolve=lambda host: ["93.184.216.34"])
    check_outbound_url("https://proxy.internal/", resolve=lambda host: ["10.20.1.5"])
    with pytest.raises(UnsafeURL):
        check_outbound_url("https://other.internal/", resolve=lambda host: ["10.21.1.5"])


NON_GLOBAL = {
    "shared address space (RFC 6598)": "100.64.0.1",
    "Alibaba Cloud metadata": "100.100.100.200",
    "IETF protocol assignments": "192.0.0.8",
    "benchmarking": "198.18.0.1",
    "6to4 embedding the metadata service": "2002:a9fe:a9fe::1",
    "IPv4-mapped metadata service": "::ffff:169.254.169.254",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "NAT64 embedding the metadata service": "64:ff9b::a9fe:a9fe",
    "Teredo": "2001:0:4136:e378:8000:63bf:56fe:5645",
    "IPv4 multicast": "224.0.0.251",
    "IPv6 multicast": "ff0e::1",
    "documentation": "2001:db8::1",
}


@pytest.mark.parametrize("address", NON_GLOBAL.values(), ids=NON_GLOBAL.keys())
def test_addresses_that_are_not_global_are_refused(settings, address) -> None:
    settings.ALLOWED_NETWORKS = []
    with pytest.raises(UnsafeURL, match="not a public address"):
        check_outbound_url("https://api.example.com/", resolve=lambda host: [address])


@pytest.mark.parametrize(
    "address",
    ["100.128.0.1", "100.63.255.254", "192.0.1.1", "2002:808:808::1", "::ffff:8.8.8.8", "2606:4700::1111"],
)
def test_public_look_alikes_pass(settings, address) -> None:
    """Just outside 100.64.0.0/10 and 192.0.0.0/24; 6to4 and IPv4-mapped forms of a public address."""
    settings.ALLOWED_NETWORKS = []
    check_outbound_url("https://api.example.com/", resolve=lambda host: [address])


def test_allowed_networks_still_allow_shared_and_mapped_addresses(settings) -> None:
    settings.ALLOWED_NETWORKS = ["100.64.0.0/10", "127.0.0.0/8"]
    check_outbound_url("https://cgnat.internal/", resolve=lambda host: ["100.100.1.1"])
    check_outbound_url("http://localhost/", resolve=lambda host: ["::ffff:127.0.0.1"])
    with pytest.raises(UnsafeURL, match=r"embeds 169\.254\.169\.254"):
        check_outbound_url("https://six.example/", resolve=lambda host: ["2002:a9fe:a9fe::1"])


@pytest.mark.django_db
def test_an_account_cannot_point_at_the_metadata_service(settings) -> None:
    settings.ALLOWED_NETWORKS = []
    with pytest.raises(CommandError, match=r"169\.254\.169\.254"):
        call_command("accounts", "add", "aws", "--name", "x", "--endpoint-url", "http://169.254.169.254/latest/")
    assert not CloudAccount.objects.exists()


@pytest.mark.django_db
def test_pages_carry_security_headers(client) -> None:
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"


def test_deploy_check_is_clean_under_production_settings(tmp_path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # a test-only switch
        "POSTURE_DATA_DIR": str(tmp_path),
        "POSTURE_SECRET_KEY": "x" * 64 + "production-like-secret-key-with-enough-entropy-0123456789",
        "POSTURE_SECURE_COOKIES": "true",
        "POSTURE_DEBUG": "false",
        "POSTURE_ALLOWED_HOSTS": "posture.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
