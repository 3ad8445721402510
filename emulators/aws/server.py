"""moto's threaded server on 127.0.0.1, with the settings that keep it quiet and realistic."""

from __future__ import annotations

import os
import socket
from typing import Any

import boto3
import requests

MOTO_SETTINGS = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
FAKE_KEYS = {"aws_access_key_id": "demo-access-key", "aws_secret_access_key": "demo-secret-key"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoEmulator:
    def __init__(self) -> None:
        for name, value in MOTO_SETTINGS.items():
            os.environ.setdefault(name, value)
        from moto.moto_server import werkzeug_app
        from moto.server import ThreadedMotoServer

        from emulators.aws import mends

        mends.install()  # moto's answers as AWS gives them (emulators/aws/mends.py)

        # moto print()s a line for every call to a service it does not emulate (Access Analyzer);
        # the scan records that service as failed, the console need not repeat it.
        werkzeug_app.print = lambda *args, **kwargs: None

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
        self.url = ""
        # One session for every client: botocore reads each service's model once, not once per client.
        self.session = boto3.Session()

    def start(self) -> str:
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def reset(self) -> None:
        requests.post(f"{self.url}/moto-api/reset", timeout=30).raise_for_status()

    def stop(self) -> None:
        self.server.stop()

    def clients(self, region: str, **credentials: str) -> Any:
        """A ``client(service)`` factory for building an estate (the account follows the credentials)."""
        keys = credentials or FAKE_KEYS
        made: dict[str, Any] = {}

        def client(service: str) -> Any:
            if service not in made:
                made[service] = self.session.client(service, region_name=region, endpoint_url=self.url, **keys)
            return made[service]

        return client

    def assume(self, role_arn: str, region: str) -> dict[str, str]:
        """Credentials for another account: moto scopes what they create to the role's account."""
        sts = self.clients(region)("sts")
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="demo")["Credentials"]
        return {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
