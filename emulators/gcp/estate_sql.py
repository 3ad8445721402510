"""Cloud SQL instances for the demo estate, as the Cloud SQL Admin API v1 lists them (``sql#instance``).

``acme-prod`` keeps a PostgreSQL instance with its read replica, a MySQL and a SQL Server instance private,
encrypted, backed up and with the CIS database flags set; ``acme-sandbox`` has a MySQL instance open to
the internet and a PostgreSQL and a SQL Server instance left with their defaults.
"""

from __future__ import annotations

from typing import Any

SQL_LINK = "https://sqladmin.googleapis.com/v1/projects/{project}/instances/{name}"


def _flags(**flags: str) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in flags.items()]


def _ip_configuration(project: str, *, public: bool, ssl_mode: str, networks: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "ipv4Enabled": public,
        "requireSsl": ssl_mode == "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
        "sslMode": ssl_mode,
        "authorizedNetworks": [
            {"kind": "sql#aclEntry", "name": f"net-{n}", "value": value} for n, value in enumerate(networks)
        ],
        "serverCaMode": "GOOGLE_MANAGED_INTERNAL_CA",
    }
    if not public:
        config["privateNetwork"] = f"projects/{project}/global/networks/prod-vpc"
    return config


def instance(
    project: str,
    number: str,
    name: str,
    version: str,
    *,
    zone: str = "europe-west1-b",
    public: bool = False,
    ssl_mode: str = "ENCRYPTED_ONLY",
    networks: tuple[str, ...] = (),
    backups: bool = True,
    deletion_protection: bool = True,
    flags: list[dict[str, str]] | None = None,
    replica_of: str = "",
    octet: int = 3,
) -> dict[str, Any]:
    """One instance; a read replica (``replica_of``) has no backups of its own, as Cloud SQL requires."""
    region = zone.rsplit("-", 1)[0]
    addresses = [{"type": "PRIVATE", "ipAddress": f"10.20.0.{octet}"}]
    if public:
        addresses.insert(0, {"type": "PRIMARY", "ipAddress": f"34.77.{octet}.{10 + octet}"})
    backup: dict[str, Any] = {
        "kind": "sql#backupConfiguration",
        "enabled": backups and not replica_of,
        "startTime": "02:00",
        "backupRetentionSettings": {"retentionUnit": "COUNT", "retainedBackups": 7},
        "transactionLogRetentionDays": 7,
        "transactionalLogStorageState": "CLOUD_STORAGE",
    }
    if version.startswith("POSTGRES_"):
        backup["pointInTimeRecoveryEnabled"] = backups and not replica_of
    elif version.startswith("MYSQL_"):
        backup["binaryLogEnabled"] = backups and not replica_of
    doc: dict[str, Any] = {
        "kind": "sql#instance",
        "state": "RUNNABLE",
        "databaseVersion": version,
        "settings": {
            "authorizedGaeApplications": [],
            "tier": "db-custom-2-7680",
            "kind": "sql#settings",
            "availabilityType": "ZONAL" if replica_of else "REGIONAL",
            "pricingPlan": "PER_USE",
            "replicationType": "SYNCHRONOUS",
            "activationPolicy": "ALWAYS",
            "ipConfiguration": _ip_configuration(project, public=public, ssl_mode=ssl_mode, networks=list(networks)),
            "locationPreference": {"zone": zone, "kind": "sql#locationPreference"},
            "databaseFlags": flags or [],
            "dataDiskType": "PD_SSD",
            "maintenanceWindow": {"kind": "sql#maintenanceWindow", "hour": 3, "day": 7},
            "backupConfiguration": backup,
            "settingsVersion": "14",
            "storageAutoResizeLimit": "0",
            "storageAutoResize": True,
            "dataDiskSizeGb": "100",
            "deletionProtectionEnabled": deletion_protection,
            "edition": "ENTERPRISE",
            "connectorEnforcement": "NOT_REQUIRED",
            "userLabels": {"env": "prod" if project.endswith("prod") else "sandbox"},
        },
        "etag": "f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2",
        "ipAddresses": addresses,
        "serverCaCert": {
            "kind": "sql#sslCert",
            "certSerialNumber": "0",
            "commonName": "C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA,dnQualifier=5b2b0d8e",
            "sha1Fingerprint": "9c3b2e8f0a1d4c5b6a7f8e9d0c1b2a3f4e5d6c7b",
            "instance": name,
            "createTime": "2024-03-04T09:00:00.000Z",
            "expirationTime": "2034-03-02T09:01:00.000Z",
        },
        "instanceType": "READ_REPLICA_INSTANCE" if replica_of else "CLOUD_SQL_INSTANCE",
        "project": project,
        "serviceAccountEmailAddress": f"p{number}-abcdef@gcp-sa-cloud-sql.iam.gserviceaccount.com",
        "backendType": "SECOND_GEN",
        "selfLink": SQL_LINK.format(project=project, name=name),
        "connectionName": f"{project}:{region}:{name}",
        "name": name,
        "region": region,
        "gceZone": zone,
        "databaseInstalledVersion": version,
        "createTime": "2024-03-04T09:00:00.000Z",
        "sqlNetworkArchitecture": "NEW_NETWORK_ARCHITECTURE",
    }
    if replica_of:
        doc["masterInstanceName"] = f"{project}:{replica_of}"
    return doc


def sql_instances(project: str, number: str, *, kept: bool) -> list[dict[str, Any]]:
    if kept:
        postgres_flags = _flags(
            log_connections="on",
            log_disconnections="on",
            log_statement="ddl",
            log_min_messages="error",  # stricter than the WARNING floor
            log_min_error_statement="error",
            **{"cloudsql.enable_pgaudit": "on", "pgaudit.log": "ddl,role", "cloudsql.iam_authentication": "on"},
        )
        return [
            instance(project, number, "orders-pg", "POSTGRES_15", flags=postgres_flags, octet=3),
            instance(
                project,
                number,
                "orders-pg-replica",
                "POSTGRES_15",
                zone="europe-west1-c",
                flags=postgres_flags,
                replica_of="orders-pg",
                octet=4,
            ),
            instance(
                project,
                number,
                "wiki-mysql",
                "MYSQL_8_0_36",
                ssl_mode="TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
                flags=_flags(skip_show_database="on", local_infile="off", cloudsql_iam_authentication="on"),
                octet=5,
            ),
            instance(
                project,
                number,
                "billing-mssql",
                "SQLSERVER_2022_STANDARD",
                flags=_flags(**{"remote access": "off", "3625": "on", "user connections": "0"}),
                octet=6,
            ),
        ]
    return [
        instance(
            project,
            number,
            "legacy-mysql",
            "MYSQL_5_7",
            zone="us-central1-a",
            public=True,
            ssl_mode="ALLOW_UNENCRYPTED_AND_ENCRYPTED",
            networks=("0.0.0.0/0", "203.0.113.0/24"),
            backups=False,
            deletion_protection=False,
            flags=_flags(local_infile="on"),
            octet=7,
        ),
        instance(
            project,
            number,
            "reports-pg",
            "POSTGRES_12",
            zone="us-central1-a",
            public=True,
            ssl_mode="ALLOW_UNENCRYPTED_AND_ENCRYPTED",
            deletion_protection=False,
            flags=_flags(log_min_duration_statement="250", log_error_verbosity="verbose"),
            octet=8,
        ),
        instance(
            project,
            number,
            "reports-mssql",
            "SQLSERVER_2019_EXPRESS",
            zone="us-central1-a",
            ssl_mode="ALLOW_UNENCRYPTED_AND_ENCRYPTED",
            deletion_protection=False,
            flags=_flags(
                **{"cross db ownership chaining": "on", "user connections": "50", "user options": "16", "3625": "off"}
            ),
            octet=9,
        ),
    ]
