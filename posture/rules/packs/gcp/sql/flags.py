"""The database flags of each Cloud SQL engine (MySQL, PostgreSQL, SQL Server), one table below.

A flag rule applies only to the engines that have its flag (``databaseVersion`` ``MYSQL_*``, ``POSTGRES_*``,
``SQLSERVER_*``): elsewhere it does not apply, it neither passes nor fails. An unset flag has the engine's
default value, which passes or fails like the same value set explicitly; where the benchmark wants a flag set
whatever the default (``local_infile``), unset fails.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.sql.instances import ENGINES, FLAGS_DOCS, INSTANCE, engine, flag_value, managed
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check, observed

# -- database flags -------------------------------------------------------------------------------------------
ON = frozenset({"on", "true", "1"})
OFF = frozenset({"off", "false", "0"})
# PostgreSQL message severities, least to most severe
PG_LEVELS = (
    *("debug5", "debug4", "debug3", "debug2", "debug1"),
    *("info", "notice", "warning", "error", "log", "fatal", "panic"),
)


def is_on(value: str | None) -> bool:
    return value in ON


def is_off(value: str | None) -> bool:
    return value in OFF


def one_of(*values: str) -> Callable[[str | None], bool]:
    return lambda value: value in values


def at_least(level: str) -> Callable[[str | None], bool]:
    return lambda value: value in PG_LEVELS and PG_LEVELS.index(value) >= PG_LEVELS.index(level)


def integer(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def unlimited_connections(value: str | None) -> bool:
    """SQL Server's ``user connections``: 0 (the default) or the maximum, 32,767, set no limit."""
    return integer(value) in (0, 32767)


@dataclass(frozen=True)
class Flag:
    """A database flag one rule judges (rule ``gcp.sql.<slug>``).

    ``names`` gives the flag's name per engine (the engines it applies to); ``default`` is the value in force
    while it is unset (None where it must be set explicitly); ``passes`` judges the value in force, lowercased
    (None when unset without a default); ``wanted`` says in words what passes.
    """

    slug: str
    names: Mapping[str, str]
    title: str
    default: str | None
    passes: Callable[[str | None], bool]
    wanted: str
    severity: str
    category: str
    rationale: str


def quoted(name: str) -> str:
    """A flag name as gcloud and the console write it: quoted where it has spaces (``'remote access'``)."""
    return f"'{name}'" if " " in name else name


@dataclass(frozen=True)
class FlagCheck:
    """The function of a flag rule: not applicable to other engines; else the value in force against the flag."""

    flag: Flag

    def __call__(self, resource: ResourceRecord, ctx: Any) -> Verdict | None:
        name = self.flag.names.get(engine(resource))
        if not name or not managed(resource):
            return None
        value = flag_value(resource, name)
        in_force = value if value is not None else self.flag.default
        if value is not None:
            said = f"{quoted(name)} is {value}"
        elif in_force is not None:
            said = f"{quoted(name)} is not set: its default, {in_force}, applies"
        else:
            said = f"{quoted(name)} is not set"
        return check(
            self.flag.passes(in_force.strip().lower() if in_force is not None else None),
            said,
            f"{said}; wanted: {self.flag.wanted}",
            observed(resource.config, "databaseVersion"),
            Evidence(f"settings.databaseFlags[{name}]", value),
        )


MYSQL, POSTGRES, SQLSERVER = ENGINES
ENGINE_NAMES = {MYSQL: "MySQL", POSTGRES: "PostgreSQL", SQLSERVER: "SQL Server"}
FLAGS = (
    Flag(
        "instance_iam_database_authentication",
        {MYSQL: "cloudsql_iam_authentication", POSTGRES: "cloudsql.iam_authentication"},
        "Cloud SQL MySQL and PostgreSQL instance allows IAM database authentication",
        "off",
        is_on,
        "on",
        "medium",
        "identity",
        "IAM database authentication lets people and workloads sign in with their Google identities, centrally "
        "granted, audited and revoked, instead of database passwords.",
    ),
    Flag(
        "mysql_skip_show_database",
        {MYSQL: "skip_show_database"},
        "Cloud SQL MySQL instance has skip_show_database on",
        "off",
        is_on,
        "on",
        "low",
        "identity",
        "With skip_show_database on, only users with the SHOW DATABASES privilege can list the databases, so users "
        "cannot discover the databases of others.",
    ),
    Flag(
        "mysql_local_infile_off",
        {MYSQL: "local_infile"},
        "Cloud SQL MySQL instance has local_infile off",
        None,
        is_off,
        "off",
        "medium",
        "workload",
        "LOAD DATA LOCAL lets a client, or an SQL injection through it, make the server read files; local_infile "
        "off refuses it whatever the client allows.",
    ),
    Flag(
        "postgres_log_error_verbosity",
        {POSTGRES: "log_error_verbosity"},
        "Cloud SQL PostgreSQL instance logs errors with DEFAULT verbosity or less",
        "default",
        one_of("default", "terse"),
        "DEFAULT or TERSE",
        "low",
        "logging",
        "VERBOSE adds source file names, functions and line numbers to every logged error: more detail than an "
        "audit needs, and more to leak.",
    ),
    Flag(
        "postgres_log_connections",
        {POSTGRES: "log_connections"},
        "Cloud SQL PostgreSQL instance logs connections",
        "off",
        is_on,
        "on",
        "medium",
        "logging",
        "Each connection attempt and authentication logged shows who reached the database, and unexpected access.",
    ),
    Flag(
        "postgres_log_disconnections",
        {POSTGRES: "log_disconnections"},
        "Cloud SQL PostgreSQL instance logs disconnections",
        "off",
        is_on,
        "on",
        "medium",
        "logging",
        "The end of each session, with its duration, completes the record of who used the database and for how long.",
    ),
    Flag(
        "postgres_log_statement",
        {POSTGRES: "log_statement"},
        "Cloud SQL PostgreSQL instance logs data definition statements",
        "none",
        one_of("ddl", "mod", "all"),
        "ddl (or mod or all, which include it)",
        "low",
        "logging",
        "Logging DDL statements records every change to the schema, roles and permissions inside the database.",
    ),
    Flag(
        "postgres_log_min_messages",
        {POSTGRES: "log_min_messages"},
        "Cloud SQL PostgreSQL instance logs messages from WARNING severity",
        "warning",
        at_least("warning"),
        "WARNING or a more severe level",
        "low",
        "logging",
        "A threshold below WARNING floods the log with debug and informational messages in which the warnings and "
        "errors that matter are lost.",
    ),
    Flag(
        "postgres_log_min_error_statement",
        {POSTGRES: "log_min_error_statement"},
        "Cloud SQL PostgreSQL instance logs the statements of errors from ERROR severity",
        "error",
        at_least("error"),
        "ERROR or a more severe level",
        "low",
        "logging",
        "Statements are logged with their messages from this severity on; a lower threshold logs the text of "
        "ordinary statements, which may hold data.",
    ),
    Flag(
        "postgres_log_min_duration_statement_disabled",
        {POSTGRES: "log_min_duration_statement"},
        "Cloud SQL PostgreSQL instance does not log statements by duration",
        "-1",
        one_of("-1"),
        "-1 (disabled)",
        "low",
        "logging",
        "Logging statements that run longer than a threshold writes their full text, and the data in it, to the logs.",
    ),
    Flag(
        "postgres_pgaudit_enabled",
        {POSTGRES: "cloudsql.enable_pgaudit"},
        "Cloud SQL PostgreSQL instance has pgAudit enabled",
        "off",
        is_on,
        "on",
        "medium",
        "logging",
        "pgAudit writes session and object audit records to Cloud Logging, where they are kept and searched with "
        "the project's other audit logs.",
    ),
    Flag(
        "sqlserver_external_scripts_disabled",
        {SQLSERVER: "external scripts enabled"},
        "Cloud SQL SQL Server instance does not run external scripts",
        "off",
        is_off,
        "off",
        "medium",
        "workload",
        "External scripts run R or Python code on the server, outside the database engine's own controls.",
    ),
    Flag(
        "sqlserver_cross_db_ownership_chaining_off",
        {SQLSERVER: "cross db ownership chaining"},
        "Cloud SQL SQL Server instance has cross db ownership chaining off",
        "off",
        is_off,
        "off",
        "medium",
        "identity",
        "Cross-database ownership chaining lets an owner in one database reach objects in another without a "
        "permission check there.",
    ),
    Flag(
        "sqlserver_user_connections_unlimited",
        {SQLSERVER: "user connections"},
        "Cloud SQL SQL Server instance does not limit user connections",
        "0",
        unlimited_connections,
        "0 (no limit, the default)",
        "low",
        "workload",
        "A low limit on simultaneous user connections turns a burst of clients, or a flood from an attacker, into "
        "refused connections for everyone.",
    ),
    Flag(
        "sqlserver_user_options_unset",
        {SQLSERVER: "user options"},
        "Cloud SQL SQL Server instance does not set user options",
        None,
        lambda value: value is None,
        "not set",
        "low",
        "workload",
        "user options changes the default SET options of every session on the server, which can change how "
        "queries behave in ways applications do not expect.",
    ),
    Flag(
        "sqlserver_remote_access_off",
        {SQLSERVER: "remote access"},
        "Cloud SQL SQL Server instance has remote access off",
        "on",
        is_off,
        "off",
        "medium",
        "workload",
        "remote access lets stored procedures run from, and on, other servers: a path to execute code remotely "
        "and to flood the server.",
    ),
    Flag(
        "sqlserver_trace_flag_3625",
        {SQLSERVER: "3625"},
        "Cloud SQL SQL Server instance masks error details from non-administrators (trace flag 3625)",
        "off",
        is_on,
        "on",
        "low",
        "workload",
        "Trace flag 3625 masks parameters in error messages shown to users who are not sysadmin, so errors do not "
        "disclose data.",
    ),
    Flag(
        "sqlserver_contained_database_authentication_off",
        {SQLSERVER: "contained database authentication"},
        "Cloud SQL SQL Server instance has contained database authentication off",
        "off",
        is_off,
        "off",
        "medium",
        "identity",
        "Users of a contained database authenticate in the database itself, outside the server's logins and "
        "their password policy.",
    ),
)


def _remediation(flag: Flag) -> str:
    if len(flag.names) > 1:
        name = " or ".join(f"{quoted(n)} ({ENGINE_NAMES[e]})" for e, n in flag.names.items())
    else:
        name = quoted(next(iter(flag.names.values())))
    change = f"remove {name}" if flag.wanted == "not set" else f"set {name} to {flag.wanted}"
    pages = ", ".join(FLAGS_DOCS.format(engine=e.lower()) for e in flag.names)
    return (
        f"In the instance's database flags, {change}: gcloud sql instances patch INSTANCE --database-flags=... "
        f"(name every flag to keep: the command replaces them all). See {pages}."
    )


for _flag in FLAGS:
    rule(
        id=f"gcp.sql.{_flag.slug}",
        title=_flag.title,
        severity=_flag.severity,
        category=_flag.category,
        resource_type=INSTANCE,
        rationale=_flag.rationale,
        remediation=_remediation(_flag),
    )(FlagCheck(_flag))
