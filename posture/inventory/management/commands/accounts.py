"""python manage.py accounts add|list|update|remove|test ..."""

from __future__ import annotations

import json
from argparse import BooleanOptionalAction
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from collectors import REGISTRY
from posture.access.cli import add_as_user, as_user, require_role, scoped
from posture.access.roles import Role
from posture.inventory.account_input import account_changes, new_account, new_cluster_account
from posture.inventory.accounts import (
    AccountInputError,
    create_account,
    parse_labels,
    remove_account,
    test_account,
    update_account,
)
from posture.inventory.cli import get_account, input_error
from posture.inventory.clusters import add_cluster_account, cloud_clusters
from posture.inventory.models import CloudAccount, Provider
from posture.inventory.permission_check import refusals


def credential_fields() -> dict[str, str]:
    """Every provider's credential options, ``{field name: help}``."""
    fields: dict[str, str] = {}
    for name in REGISTRY.provider_names():
        for f in REGISTRY.provider(name).credential_fields:
            fields.setdefault(f.name, f"{name}: {f.help}")
    return fields


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # starts at once; `manage.py check` runs them
    help = (
        "Manage the cloud accounts and clusters Posture scans. Runs as the operator (every account) unless "
        "--as-user names a user: then only their teams' accounts, and changes need the admin role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register an account")
        add.add_argument("provider", help=f"one of: {', '.join(p.value for p in Provider)}")
        add.add_argument("--name", required=True)
        add.add_argument(
            "--via",
            metavar="CLOUD_ACCOUNT",
            help="kubernetes only: reach a managed cluster (EKS, AKS, GKE) with this aws/azure/gcp account's identity "
            "(see: accounts clusters CLOUD_ACCOUNT); no kubeconfig needed",
        )
        add.add_argument(
            "--cluster",
            help="with --via: the cluster, as `accounts clusters` lists it (EKS ARN, AKS resource id, or GKE "
            "projects/P/locations/L/clusters/N)",
        )
        self._common(add)
        update = sub.add_parser("update", help="change an account's settings or credentials")
        update.add_argument("name")
        update.add_argument("--enable", dest="enabled", action="store_true", default=None)
        update.add_argument("--disable", dest="enabled", action="store_false", default=None)
        self._common(update)
        ls = sub.add_parser("list", help="list accounts")
        ls.add_argument("--format", choices=["table", "json"], default="table")
        rm = sub.add_parser("remove", help="remove an account and everything scanned from it")
        rm.add_argument("name")
        test = sub.add_parser("test", help="prove the credentials work and record the provider's own id")
        test.add_argument("name")
        test.add_argument(
            "--permissions",
            action="store_true",
            help="then run every collector, storing nothing, and name each permission the credentials lack",
        )
        clusters = sub.add_parser(
            "clusters", help="list the managed clusters a cloud account's scans found, and which are scanned inside"
        )
        clusters.add_argument("name", help="an aws, azure or gcp account")
        clusters.add_argument("--format", choices=["table", "json"], default="table")
        for parser_ in (add, update, ls, rm, test, clusters):
            add_as_user(parser_)

    def _common(self, parser: CommandParser) -> None:
        parser.add_argument("--regions", help="comma-separated; default: every enabled region")
        parser.add_argument(
            "--endpoint-url",
            "--resource-manager-url",
            "--api-endpoint",
            dest="endpoint_url",
            help="API endpoint override (emulators, sovereign clouds): the AWS endpoint URL, the Azure Resource "
            "Manager URL, or the Google API endpoint",
        )
        parser.add_argument("--team", help="the team that owns the account")
        parser.add_argument("--label", action="append", metavar="KEY=VALUE", help="a label; repeat for more")
        parser.add_argument("--schedule", choices=["none", "hourly", "daily", "weekly"])
        parser.add_argument(
            "--read-node-config",
            action=BooleanOptionalAction,
            default=None,
            help="kubernetes only, off by default: read each node's live kubelet configuration through the API "
            "server's node proxy (/api/v1/nodes/NAME/proxy/configz) for the kubelet rules (sets the label "
            "read-node-config=true). RISK: this needs `get` on nodes/proxy, which reaches the whole kubelet API: "
            "whoever holds the identity can exec into any pod on any node. Grant it only to a dedicated identity.",
        )
        group = parser.add_argument_group("credentials (each provider takes its own)")
        for name, text in credential_fields().items():
            group.add_argument("--" + name.replace("_", "-"), dest=f"cred_{name}", help=text)

    def handle(self, *args, **options) -> None:
        options["user"] = as_user(options.get("as_user"))
        if options["action"] not in ("list", "clusters"):
            require_role(options["user"], Role.ADMIN, f"{options['action']} accounts")
        try:
            getattr(self, "do_" + options["action"])(options)
        except AccountInputError as exc:
            raise input_error(exc) from None

    @staticmethod
    def _credentials(options: dict) -> dict[str, str]:
        return {k[5:]: v for k, v in options.items() if k.startswith("cred_") and v not in (None, "")}

    def _values(self, options: dict) -> dict[str, Any]:
        """The options under the AccountInput field names (None: not given)."""
        names = ("provider", "name", "regions", "endpoint_url", "team", "schedule", "enabled", "via", "cluster")
        return {
            **{name: options.get(name) for name in names},
            "labels": options.get("label"),
            "credentials": self._credentials(options),
        }

    @staticmethod
    def _node_config_label(options: dict, provider: str, labels: dict[str, str]) -> dict[str, str]:
        """``labels`` with ``read-node-config`` set as --read-node-config / --no-read-node-config asks."""
        if options.get("read_node_config") is None:
            return labels
        if provider != "kubernetes":
            raise CommandError(f"--read-node-config applies to kubernetes accounts, not {provider} ones")
        return {**labels, "read-node-config": "true" if options["read_node_config"] else "false"}

    def do_add(self, options: dict) -> None:
        options["label"] = [
            f"{k}={v}"
            for k, v in self._node_config_label(options, options["provider"], parse_labels(options["label"])).items()
        ]
        if options["via"] or options["cluster"]:
            return self._add_via(options)
        account = create_account(new_account(self._values(options)), user=options["user"], source="cli")
        self.stdout.write(
            f"added {account.provider} account {account.name}; check it with: accounts test {account.name}"
        )

    def _add_via(self, options: dict) -> None:
        if options["provider"] != "kubernetes":
            raise CommandError(f"--via and --cluster add kubernetes accounts, not {options['provider']} ones")
        if not (options["via"] and options["cluster"]):
            raise CommandError("--via and --cluster go together (list the clusters with: accounts clusters ACCOUNT)")
        given = sorted("--" + k.replace("_", "-") for k in self._credentials(options))
        if given or options["regions"]:
            extra = ", ".join(given + (["--regions"] if options["regions"] else []))
            raise CommandError(f"--via {options['via']} borrows that account's identity: {extra} do not apply")
        cloud = get_account(options["via"], options["user"])
        account = add_cluster_account(
            new_cluster_account(self._values(options), cloud), user=options["user"], source="cli"
        )
        self.stdout.write(
            f"added kubernetes account {account.name} ({account.labels['platform']} cluster {account.via_cluster}, "
            f"via {options['via']}); check it with: accounts test {account.name}"
        )

    def do_clusters(self, options: dict) -> None:
        cloud = get_account(options["name"], options["user"])
        try:
            found = cloud_clusters(cloud)
        except AccountInputError as exc:  # about the account named, not a --via
            raise CommandError(str(exc)) from None
        if options["format"] == "json":
            rows = [
                {"cluster": c.ref, "name": c.name, "region": c.region, "platform": c.platform, "version": c.version,
                 "scanned_as": c.scanned_as}
                for c in found
            ]  # fmt: skip
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not found:
            self.stdout.write(f"{cloud.name}: no clusters in its inventory; scan it first (scan {cloud.name})")
            return
        header = ("CLUSTER", "NAME", "REGION", "VERSION", "SCANNED INSIDE AS")
        rows = [(c.ref, c.name, c.region, c.version or "-", ", ".join(c.scanned_as) or "-") for c in found]
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        if any(not c.scanned_as for c in found):
            self.stdout.write(
                f"scan inside one with: accounts add kubernetes --name NAME --via {cloud.name} --cluster CLUSTER"
            )

    def do_update(self, options: dict) -> None:
        account = get_account(options["name"], options["user"])
        changes = account_changes({**self._values(options), "labels": options["label"] or None})
        if options.get("read_node_config") is not None:
            labels = changes.get("labels", account.labels or {})
            changes["labels"] = self._node_config_label(options, account.provider, labels)
        if not changes:
            raise CommandError("nothing to change: give at least one option")
        update_account(account, changes, user=options["user"], source="cli")
        self.stdout.write(f"updated {account.name}: {', '.join(sorted(changes))}")

    def do_list(self, options: dict) -> None:
        accounts = list(scoped(CloudAccount.objects.select_related("via"), options["user"], account_path=""))
        last = {}
        for account in accounts:
            scan = account.scans.order_by("-created_at").first()
            last[account.pk] = scan
        if options["format"] == "json":
            rows = [
                {
                    "name": a.name,
                    "provider": a.provider,
                    "external_id": a.external_id,
                    "regions": a.regions,
                    "endpoint_url": a.endpoint_url,
                    "team": a.team,
                    "labels": a.labels,
                    "enabled": a.enabled,
                    "schedule": a.scan_schedule or "none",
                    "has_credentials": a.has_credentials,
                    "via": a.via.name if a.via else None,
                    "cluster": a.via_cluster or None,
                    "last_scan": last[a.pk].state if last[a.pk] else None,
                }
                for a in accounts
            ]
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not accounts:
            self.stdout.write("no accounts yet: add one with  python manage.py accounts add PROVIDER --name NAME")
            return
        header = ("NAME", "PROVIDER", "ID", "REGIONS", "TEAM", "ENABLED", "LAST SCAN")
        rows = [
            (
                a.name,
                f"{a.provider} via {a.via.name}" if a.via else a.provider,
                a.external_id or "-",
                ",".join(a.regions) or "all",
                a.team or "-",
                "yes" if a.enabled else "no",
                last[a.pk].state if last[a.pk] else "never",
            )
            for a in accounts
        ]
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())

    def do_remove(self, options: dict) -> None:
        account = get_account(options["name"], options["user"])
        counts = remove_account(account, user=options["user"], source="cli")
        self.stdout.write(
            f"removed {options['name']} with {counts['resources']} resources, {counts['findings']} findings, "
            f"{counts['scans']} scans"
        )

    def do_test(self, options: dict) -> None:
        account = get_account(options["name"], options["user"])
        who = test_account(account, user=options["user"], source="cli")
        self.stdout.write(f"{account.name}: credentials work ({account.provider} id {account.external_id}; {who})")
        if options["permissions"]:
            self._test_permissions(account)

    def _test_permissions(self, account: CloudAccount) -> None:
        denied = refusals(account)
        for line in denied:
            self.stdout.write(f"{account.name}: denied: {line}")
        if denied:
            raise CommandError(f"{account.name}: {len(denied)} call(s) denied; see above")
        self.stdout.write(f"{account.name}: every collector's calls were allowed")
