"""The moto server and the cluster TLS material of the collector tests, for the end-to-end path tests."""

from tests.collectors.aws.conftest import aws_env, moto_server, server_url  # noqa: F401
from tests.collectors.kubernetes.conftest import tls  # noqa: F401
