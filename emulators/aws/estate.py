"""A small AWS estate with known good and bad settings, built through boto3 on moto (in-process or server)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from emulators.aws.estate_eks_access import build_node_role, set_access_config

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
    s3.put_bucket_acl(Bucket=f"{prefix}-public", ACL="public-read")  # the old way too: everyone may list it
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
    s3.put_bucket_acl(Bucket=f"{prefix}-trail-logs", ACL="log-delivery-write")  # S3's log delivery, not public


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
    set_access_config(client, "prod", "CONFIG_MAP")  # access still granted through the aws-auth ConfigMap only
    build_node_role(client)
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
    found.update(build_private_network(client))
    found.update(build_web_front_ends(client, found["apps_vpc"]))
    if prefix == "posture":  # the demo's staging account stays outside any organization
        found.update(build_organization(client))
    return found


GUARDRAIL = policy({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})


def build_organization(client: ClientFactory) -> dict[str, str]:
    """The account manages an organization: a guarded `prod` unit, an unguarded `sandbox` unit with a member
    account, GuardDuty delegated to the member but Security Hub not; security and operations contacts, no billing
    one."""
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    prod = org.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    sandbox = org.create_organizational_unit(ParentId=root, Name="sandbox")["OrganizationalUnit"]["Id"]
    member = org.create_account(Email="sandbox@example.com", AccountName="sandbox")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=sandbox)
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    guard = org.create_policy(
        Name="deny-leave", Description="stay in the organization", Type="SERVICE_CONTROL_POLICY", Content=GUARDRAIL
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=guard, TargetId=prod)
    for service in ("guardduty.amazonaws.com", "securityhub.amazonaws.com"):
        org.enable_aws_service_access(ServicePrincipal=service)
    org.register_delegated_administrator(AccountId=member, ServicePrincipal="guardduty.amazonaws.com")
    for kind, team in (("SECURITY", "security"), ("OPERATIONS", "ops")):  # no billing contact
        client("account").put_alternate_contact(
            AlternateContactType=kind,
            EmailAddress=f"{team}@example.com",
            Name=f"{team} team",
            PhoneNumber="+1 555 0100",
            Title=team,
        )
    return {"ou_prod": prod, "ou_sandbox": sandbox, "member": member}


def build_private_network(client: ClientFactory) -> dict[str, str]:
    """An `apps` VPC running an instance, with an S3 gateway endpoint and a peering to a `shared` VPC whose
    route sends everything (0.0.0.0/0) to the peer."""
    ec2 = client("ec2")
    apps = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    shared = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=apps, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)
    table = ec2.create_route_table(VpcId=apps)["RouteTable"]["RouteTableId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=apps, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway", RouteTableIds=[table]
    )["VpcEndpoint"]["VpcEndpointId"]
    peering = ec2.create_vpc_peering_connection(VpcId=apps, PeerVpcId=shared)["VpcPeeringConnection"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=peering["VpcPeeringConnectionId"])
    ec2.create_route(
        RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", VpcPeeringConnectionId=peering["VpcPeeringConnectionId"]
    )
    return {"apps_vpc": apps, "shared_vpc": shared, "peered_table": table, "s3_endpoint": endpoint}


ORIGIN = {
    "Id": "site",
    "DomainName": "site.example.com",
    "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
}
DISTRIBUTION = {
    "CallerReference": "web",
    "Comment": "web",
    "Enabled": True,
    "Origins": {"Quantity": 1, "Items": [ORIGIN]},
    "DefaultCacheBehavior": {
        "TargetOriginId": "site",
        "ViewerProtocolPolicy": "redirect-to-https",
        "MinTTL": 0,
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
    },
}


def build_web_front_ends(client: ClientFactory, vpc: str) -> dict[str, str]:
    """An application load balancer without access logs, a REST API stage with access logs, an HTTP API stage
    without, and a CloudFront distribution without logging."""
    ec2 = client("ec2")
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{n}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"]
        for n, zone in ((10, "a"), (11, "b"))
    ]
    alb = client("elbv2").create_load_balancer(Name="web", Subnets=[s["SubnetId"] for s in subnets], Type="application")
    rest = client("apigateway")
    api = rest.create_rest_api(name="orders")["id"]
    root = rest.get_resources(restApiId=api)["items"][0]["id"]
    rest.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    rest.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = rest.create_deployment(restApiId=api)["id"]
    rest.create_stage(restApiId=api, stageName="prod", deploymentId=deployment)
    rest.update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:api-access",
            }
        ],
    )
    http = client("apigatewayv2")
    http_api = http.create_api(Name="events", ProtocolType="HTTP")["ApiId"]
    http.create_stage(ApiId=http_api, StageName="live")
    distribution = client("cloudfront").create_distribution(DistributionConfig=DISTRIBUTION)["Distribution"]["ARN"]
    return {
        "alb": alb["LoadBalancers"][0]["LoadBalancerArn"],
        "rest_stage": f"arn:aws:apigateway:{REGION}::/restapis/{api}/stages/prod",
        "http_stage": f"arn:aws:apigateway:{REGION}::/apis/{http_api}/stages/live",
        "distribution": distribution,
    }
