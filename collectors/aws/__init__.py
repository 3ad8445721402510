"""Amazon Web Services: boto3 sessions, regions, identity, and the service collectors."""

from collectors.aws.provider import AwsProvider
from collectors.registry import REGISTRY

PROVIDER = REGISTRY.add_provider(AwsProvider())
