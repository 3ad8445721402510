"""A small AWS estate with known good and bad settings, built through boto3 on moto (in-process or server)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
ClientFactory = Callable[[str], Any]

ROOT_USAGE_PATTERN = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
)
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:" + "a" * 64},
        "layers": [],
    }
)


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def build_iam(client: ClientFactory) -> None:
    iam = client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=24)
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9!")
    iam.create_access_key(UserName="alice")
    iam.create_user(UserName="deploy")
    iam.put_user_policy(
        UserName="deploy",
        PolicyName="deploy-s3",
        PolicyDocument=policy({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}),
    )
    admin = iam.create_policy(
        PolicyName="full-admin", PolicyDocument=policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    )["Policy"]["Arn"]
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=admin)
    iam.add_user_to_group(GroupName="admins", UserName="alice")


def build_s3(client: ClientFactory, prefix: str = "posture") -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket=f"{prefix}-public")
    s3.put_bucket_policy(
        Bucket=f"{prefix}-public",
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{prefix}-public/*",
            }
        ),
    )
    s3.create_bucket(Bucket=f"{prefix}-private")
    s3.put_public_access_block(
        Bucket=f"{prefix}-private",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_policy(
        Bucket=f"{prefix}-private",
        Policy=policy(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{prefix}-private", f"arn:aws:s3:::{prefix}-private/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
    )
    s3.put_bucket_versioning(Bucket=f"{prefix}-private", VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket=f"{prefix}-trail-logs")


def build_network(client: ClientFactory) -> dict[str, str]:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    open_ssh = ec2.create_security_group(GroupName="open-ssh", Description="ssh from anywhere", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=open_ssh,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    web = ec2.create_security_group(GroupName="web", Description="https only", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ec2.enable_ebs_encryption_by_default()
    return {"vpc": vpc, "open_ssh": open_ssh, "web": web}


def build_logging(client: ClientFactory, prefix: str = "posture") -> None:
    logs = client("logs")
    logs.create_log_group(logGroupName="cloudtrail-logs")
    log_group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:cloudtrail-logs:*"
    trail = client("cloudtrail")
    trail.create_trail(
        Name="main-trail",
        S3BucketName=f"{prefix}-trail-logs",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        CloudWatchLogsLogGroupArn=log_group_arn,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-to-logs",
    )
    trail.start_logging(Name="main-trail")
    logs.put_metric_filter(
        logGroupName="cloudtrail-logs",
        filterName="root-usage",
        filterPattern=ROOT_USAGE_PATTERN,
        metricTransformations=[{"metricName": "RootUsage", "metricNamespace": "CIS", "metricValue": "1"}],
    )
    sqs = client("sqs")
    queue = sqs.create_queue(QueueName="soc-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns = client("sns")
    topic = sns.create_topic(Name="security-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    client("cloudwatch").put_metric_alarm(
        AlarmName="root-usage",
        MetricName="RootUsage",
        Namespace="CIS",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
    )


def build_keys_and_data(client: ClientFactory) -> dict[str, str]:
    kms = client("kms")
    rotated = kms.create_key(Description="rotated")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=rotated)
    unrotated = kms.create_key(Description="not rotated")["KeyMetadata"]["Arn"]
    rds = client("rds")
    db = rds.create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="orders",
        MasterUserPassword="not-a-real-secret-1",
        AllocatedStorage=20,
        StorageEncrypted=False,
        PubliclyAccessible=True,
    )["DBInstance"]["DBInstanceArn"]
    efs = client("efs")
    plain = efs.create_file_system(CreationToken="plain", Encrypted=False)["FileSystemArn"]
    sealed = efs.create_file_system(CreationToken="sealed", Encrypted=True)["FileSystemArn"]
    return {"rotated_key": rotated, "unrotated_key": unrotated, "db": db, "efs_plain": plain, "efs_sealed": sealed}


def build_containers(client: ClientFactory) -> dict[str, str]:
    eks = client("eks")
    cluster = eks.create_cluster(
        name="prod",
        version="1.28",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks-cluster",
        resourcesVpcConfig={"subnetIds": ["subnet-1"], "endpointPublicAccess": True, "endpointPrivateAccess": False},
    )["cluster"]["arn"]
    nodegroup = eks.create_nodegroup(
        clusterName="prod",
        nodegroupName="workers",
        subnets=["subnet-1"],
        nodeRole=f"arn:aws:iam::{ACCOUNT}:role/eks-node",
        remoteAccess={"ec2SshKey": "ops"},
    )["nodegroup"]["nodegroupArn"]
    ecr = client("ecr")
    api = ecr.create_repository(repositoryName="api")["repository"]["repositoryArn"]
    ecr.put_image(repositoryName="api", imageManifest=MANIFEST, imageTag="v1")
    base = ecr.create_repository(
        repositoryName="base", imageTagMutability="IMMUTABLE", imageScanningConfiguration={"scanOnPush": True}
    )["repository"]["repositoryArn"]
    client("guardduty").create_detector(Enable=True)
    return {"cluster": cluster, "nodegroup": nodegroup, "api_repo": api, "base_repo": base}


NODEADM_USER_DATA = """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BOUNDARY"

--BOUNDARY
Content-Type: application/node.eks.aws

apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: prod
  kubelet:
    config:
      maxPods: 58
      eventRecordQPS: 10
    flags:
      - --node-labels=tier=api

--BOUNDARY--
"""
BOOTSTRAP_USER_DATA = """MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==BOUNDARY=="

--==BOUNDARY==
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
export DB_PASSWORD='hunter2-never-stored'
/etc/eks/bootstrap.sh prod --kubelet-extra-args '--read-only-port=10255 --anonymous-auth=true --max-pods=30'

--==BOUNDARY==--
"""


def build_node_settings(client: ClientFactory) -> dict[str, str]:
    """Node groups of cluster ``prod`` built from launch templates: an AL2023 one whose nodeadm NodeConfig keeps
    the kubelet hardened, and a legacy AL2 one whose bootstrap opens the read-only port and anonymous auth."""
    ec2, eks = client("ec2"), client("eks")
    found = {}
    for name, ami, user_data in (
        ("api", "AL2023_x86_64_STANDARD", NODEADM_USER_DATA),
        ("legacy", "AL2_x86_64", BOOTSTRAP_USER_DATA),
    ):
        template = ec2.create_launch_template(
            LaunchTemplateName=f"prod-{name}-nodes",
            LaunchTemplateData={"InstanceType": "m5.large", "UserData": base64.b64encode(user_data.encode()).decode()},
        )["LaunchTemplate"]
        found[f"nodegroup_{name}"] = eks.create_nodegroup(
            clusterName="prod",
            nodegroupName=name,
            subnets=["subnet-1"],
            nodeRole=f"arn:aws:iam::{ACCOUNT}:role/eks-node",
            amiType=ami,
            launchTemplate={"id": template["LaunchTemplateId"], "version": "1"},
        )["nodegroup"]["nodegroupArn"]
    return found


def build_estate(client: ClientFactory, prefix: str = "posture") -> dict[str, str]:
    """Every service's part of the estate; returns the uids the tests assert on.

    ``prefix`` names the buckets (bucket names are global across accounts).
    """
    build_iam(client)
    build_s3(client, prefix)
    build_logging(client, prefix)
    found = build_network(client)
    found.update(build_keys_and_data(client))
    found.update(build_containers(client))
    found.update(build_node_settings(client))
    return found
