"""Fields that are not configuration: what the provider or the cluster moves by itself, per resource type.

Data, read by the persistence step (``posture/scans/diff.py``): these fields stay in a resource's stored
``config`` (rules may read them) but drift detection hashes and compares the config without them, so a
rescan where only they moved shows no drift.

Paths are dotted; ``*`` matches any one key or list index, ``**`` any number of levels (none included).
Keys are a resource type (``aws.iam.user``) or a provider (``aws``: every type of it).

``IDENTITY`` names the fields that say *which object* this is (a Kubernetes object's ``metadata.uid``, a
Google resource's numeric ``id``): when they differ between two scans of the same name, the resource was
deleted and created again (a change of kind "recreated"); they are volatile for the field diff.
"""

from __future__ import annotations

IMAGE_SCAN_FIELDS = (  # collectors.image_scans: every field but the image's own name and digest moves by itself
    "_ImageScan.tags",
    "_ImageScan.status",
    "_ImageScan.scanned_at",
    "_ImageScan.pushed_at",
    "_ImageScan.vulnerabilities",
)
VOLATILE: dict[str, tuple[str, ...]] = {
    # -- Kubernetes: server bookkeeping, status, and the pods that come and go under a workload
    "kubernetes": (
        "metadata.resourceVersion",
        "metadata.managedFields",
        "metadata.creationTimestamp",  # moves only with a new uid: "recreated" says it
        "metadata.generation",  # follows spec edits, which show themselves
        "metadata.selfLink",
        "status",
    ),
    "kubernetes.workloads.workload": (
        "_pods",
        "_podCount",
        "_oldestPodStart",
        "_imageScans",  # scan results of the images it runs, attached by the pipeline: a rescan is no change
        "status",
        "spec.template.metadata.creationTimestamp",
        "spec.jobTemplate.metadata.creationTimestamp",
        "spec.jobTemplate.spec.template.metadata.creationTimestamp",
    ),
    "kubernetes.core.node": ("status",),  # conditions, heartbeats, images, allocatable: the kubelet's report
    "kubernetes.core.serviceaccount": ("secrets",),  # token secrets the controller adds and rotates
    "kubernetes.cluster.cluster": ("**.lastHeartbeatTime", "**.renewTime"),
    # -- AWS: last-used and delivery times, counters, state the service keeps by itself
    "aws": ("ResponseMetadata",),
    "aws.iam.user": (
        "PasswordLastUsed",
        "**.LastUsedDate",
        "**.AccessKeyLastUsed",
        "**.last_used_date",
        "**.last_used_region",
        "**.last_used_service",
        "**.password_last_used",
        "**.password_last_changed",
        "**.password_next_rotation",
        "**.access_key_1_last_used_date",
        "**.access_key_1_last_used_region",
        "**.access_key_1_last_used_service",
        "**.access_key_2_last_used_date",
        "**.access_key_2_last_used_region",
        "**.access_key_2_last_used_service",
    ),
    "aws.iam.role": ("RoleLastUsed",),
    "aws.iam.account": ("**.GeneratedTime", "**.generated_time"),
    "aws.ec2.instance": (
        "LaunchTime",  # moves on every stop and start
        "State",
        "StateTransitionReason",
        "StateReason",
        "**.AttachTime",
        "NetworkInterfaces.*.Attachment.AttachTime",
        "UsageOperationUpdateTime",
        "PublicDnsName",  # an ephemeral address moves on restart; gaining one still shows (Association appears)
        "PublicIpAddress",
        "**.Association.PublicIp",
        "**.Association.PublicDnsName",
    ),
    "aws.cloudtrail.trail": (
        "Status.LatestDeliveryTime",
        "Status.LatestDeliveryAttemptTime",
        "Status.LatestDeliveryAttemptSucceeded",
        "Status.LatestNotificationTime",
        "Status.LatestNotificationAttemptTime",
        "Status.LatestNotificationAttemptSucceeded",
        "Status.LatestCloudWatchLogsDeliveryTime",
        "Status.LatestDigestDeliveryTime",
        "Status.TimeLoggingStarted",
        "Status.TimeLoggingStopped",
        "Status.LatestDeliveryError",
        "Status.LatestDigestDeliveryError",
    ),
    "aws.efs.file_system": ("SizeInBytes", "NumberOfMountTargets", "LifeCycleState"),
    "aws.rds.db_instance": ("LatestRestorableTime", "DBInstanceStatus", "PendingModifiedValues"),
    "aws.elbv2.load_balancer": ("State",),
    "aws.cloudfront.distribution": ("Status", "LastModifiedTime"),
    "aws.apigateway.stage": ("lastUpdatedDate",),
    "aws.apigateway.v2_stage": ("LastUpdatedDate",),
    "aws.vpc.peering_connection": ("Status", "ExpirationTime"),
    "aws.ecr.repository": ("_Images.ImageCount", "_Images.LatestImagePushedAt"),  # pushes are content
    "aws.eks.cluster": ("status", "health", "clientRequestToken"),  # the idempotency token of the last update
    "aws.eks.nodegroup": ("status", "health", "modifiedAt", "clientRequestToken"),
    "aws.config.region_settings": ("**.lastStartTime", "**.lastStopTime", "**.lastStatusChangeTime", "**.lastStatus"),
    "aws.cloudwatch.alarm": (
        "StateValue",
        "StateReason",
        "StateReasonData",
        "StateUpdatedTimestamp",
        "StateTransitionedTimestamp",
        "AlarmConfigurationUpdatedTimestamp",
    ),
    "aws.kms.key": ("**.NextRotationDate",),
    # -- Azure: modification stamps, entity tags, provisioning state
    "azure": (
        "etag",
        "**.etag",
        "systemData",
        "**.provisioningState",
        "**.lastModifiedAt",
        "**.lastModifiedTime",
        "**.lastModifiedTimeUtc",
        "**.lastModifiedBy",
        "**.lastModifiedByType",
        "**.updatedOn",
        "**.changedTime",
    ),
    "azure.aks.managed_cluster": (
        "properties.powerState",
        "properties.currentKubernetesVersion",
        "properties.agentPoolProfiles.*.powerState",
        "properties.agentPoolProfiles.*.currentOrchestratorVersion",
    ),
    "azure.aks.agent_pool": ("properties.powerState", "properties.currentOrchestratorVersion"),
    # the vault's data plane: rotation and renewal make new versions (times, thumbprint) by themselves
    "azure.keyvault.vault": (
        "_keys.*.attributes.created",
        "_keys.*.attributes.updated",
        "_keys.*.attributes.nbf",
        "_keys.*.attributes.exp",
        "_keys.*._rotationPolicy.attributes.created",
        "_keys.*._rotationPolicy.attributes.updated",
        "_secrets.*.attributes.created",
        "_secrets.*.attributes.updated",
        "_certificates.*.x5t",
        "_certificates.*.attributes",
        "_certificates.*._policy.attributes",
    ),
    "azure.entra.tenant": ("**.modifiedDateTime", "**.@odata.context"),
    "azure.storage.account": (
        "properties.primaryEndpoints",
        "properties.statusOfPrimary",
        "properties.keyCreationTime",
    ),
    # -- Google Cloud: entity tags, update stamps, fingerprints, rotation schedules
    "gcp": ("etag", "**.etag", "**.fingerprint", "**.labelFingerprint", "updateTime", "**.lastModifyTime"),
    "gcp.iam.service_account": ("keys.*.validAfterTime", "keys.*.validBeforeTime"),  # fixed per key name
    "gcp.kms.crypto_key": ("nextRotationTime", "primary.createTime", "primary.generateTime", "primary.name"),
    "gcp.container.cluster": (
        "status",
        "statusMessage",
        "conditions",
        "currentNodeCount",
        "currentMasterVersion",
        "currentNodeVersion",
        "**.instanceGroupUrls",
        "nodePools.*.status",
        "nodePools.*.statusMessage",
        "nodePools.*.conditions",
    ),
    "gcp.container.node_pool": ("status", "statusMessage", "conditions", "instanceGroupUrls"),
    "gcp.compute.instance": ("status", "lastStartTimestamp", "lastStopTimestamp", "lastSuspendedTimestamp"),
    "gcp.storage.bucket": ("updated", "metageneration", "**.updated", "iamPolicy.etag"),
    "gcp.monitoring.alert_policy": ("mutationRecord", "mutationRecords"),  # who edited last: the edit shows itself
    "gcp.sql.instance": (
        "state",
        "settings.settingsVersion",  # counts edits: the edit shows itself
        "currentDiskSize",
        "databaseInstalledVersion",
        "maintenanceVersion",
        "availableMaintenanceVersions",
        "upgradableDatabaseVersions",
        "scheduledMaintenance",
        "outOfDiskReport",
        "serverCaCert",  # Google rotates the server CA
    ),
    "gcp.apikeys.key": ("createTime",),  # fixed per key name (uid); a new key is a new name
    "gcp.dataproc.cluster": ("status", "statusHistory", "metrics"),
    "gcp.bigquery.table": (
        "lastModifiedTime",
        "numBytes",
        "numRows",
        "numLongTermBytes",
        "numPhysicalBytes",
        "numActiveLogicalBytes",
        "numActivePhysicalBytes",
        "numLongTermLogicalBytes",
        "numLongTermPhysicalBytes",
        "numTotalLogicalBytes",
        "numTotalPhysicalBytes",
        "numCurrentPhysicalBytes",
        "numTimeTravelPhysicalBytes",
        "numPartitions",
        "streamingBuffer",
    ),
    "gcp.bigquery.dataset": ("lastModifiedTime",),
    # -- image scan results: what a scanner found is findings' business, not configuration drift
    "aws.ecr_scans.image_scan": (*IMAGE_SCAN_FIELDS, "imageScanStatus", "findingSeverityCounts"),
    "azure.defender_scans.image_scan": (*IMAGE_SCAN_FIELDS, "assessments"),
    "gcp.artifact_analysis.image_scan": (*IMAGE_SCAN_FIELDS, "discovery"),
}

IDENTITY: dict[str, tuple[str, ...]] = {
    "kubernetes": ("metadata.uid",),
    "gcp": ("id", "uniqueId"),
    "aws.iam.user": ("UserId",),
    "aws.iam.role": ("RoleId",),
    "aws.iam.group": ("GroupId",),
    "aws.iam.policy": ("PolicyId",),
    "aws.ec2.instance": ("InstanceId",),
}


def of(resource_type: str, table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The paths a table lists for a type: its provider's, then the type's own."""
    provider = resource_type.split(".", 1)[0]
    return table.get(provider, ()) + (table.get(resource_type, ()) if resource_type != provider else ())


def volatile_paths(resource_type: str) -> tuple[str, ...]:
    """Every path drift ignores for a type: its volatile fields and its identity fields."""
    return of(resource_type, VOLATILE) + of(resource_type, IDENTITY)


def identity_paths(resource_type: str) -> tuple[str, ...]:
    return of(resource_type, IDENTITY)
