"""Cloud network exposure as entries: firewalls open to the internet, the machines they let it reach, and the
identity each machine runs as (no Django here).

- AWS: a security group with an ingress permission from ``0.0.0.0/0`` or ``::/0`` on a protocol that carries
  ports (TCP, UDP or all traffic; ICMP alone opens no service) guards the running EC2 instances that carry it
  (EKS nodes are instances too, labelled with their node group, and carrying its findings: a kubelet serving
  anonymous requests is a node's weakness); an instance with a public address is reached, and stands on its
  instance profile's role.
- Azure: a network security group with an inbound Allow from ``Internet``/``*``/``0.0.0.0/0`` (not shadowed by
  an earlier Deny of every port from anywhere) guards the subnets it is attached to, and so the AKS node pools
  placed in them (``vnetSubnetID``); a pool with public node IPs is reached, and stands on its cluster's kubelet
  identity. A virtual machine is reached through a network interface with a public IP address when every NSG
  on its way lets the internet in (the NIC's own and its subnet's: inbound traffic must pass both; a NIC under
  no NSG is not taken as open), and stands on its managed identities (system-assigned, user-assigned).
  A subnet's NSG is known from the NSG's ``subnets`` or from its virtual network's subnets.
- Google Cloud: an enabled ingress firewall rule from ``0.0.0.0/0`` or ``::/0`` allowing TCP, UDP or all
  protocols applies, in its network, to the instances with one of its target tags or target service accounts
  (every instance when it names neither); a running instance with an external address (``accessConfigs``) is
  reached, and stands on its service account. A GKE node pool is reached the same way (its node tags, its
  service account, its cluster's network) unless its nodes are private; its VMs (made by one of the pool's
  instance groups, by their ``created-by`` metadata) are not repeated as instances. Deny rules are not weighed.
  A machine whose access scopes leave out ``cloud-platform`` holds a narrowed token: it is not linked to its
  account (the scopes are not mapped to the roles they leave usable).

An address the internet cannot route to is no entry whatever the firewall says: the public address is the hop
a look-alike breaks. A machine is a foothold like a workload: a failing critical or high finding of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posture.paths.items import ENTRY, INTERNET, WORKLOAD, Graph, HopFinding, Item, Node, resource_key

SG = "aws.ec2.security_group"
EC2 = "aws.ec2.instance"
NSG = "azure.network.security_group"
AGENT_POOL = "azure.aks.agent_pool"
VNET = "azure.network.virtual_network"
AZURE_VM = "azure.compute.virtual_machine"
AZURE_NIC = "azure.compute.network_interface"
FIREWALL = "gcp.compute.firewall"
GCE = "gcp.compute.instance"
GKE_CLUSTER = "gcp.container.cluster"
GKE_NODE_POOL = "gcp.container.node_pool"
EKS_NODEGROUP = "aws.eks.nodegroup"
NETWORK_TYPES = (SG, EC2, NSG, AGENT_POOL, VNET, AZURE_VM, AZURE_NIC, FIREWALL, GCE)
WORLD = ("0.0.0.0/0", "::/0")
AZURE_WORLD = {"*", "0.0.0.0", "0.0.0.0/0", "internet", "any", "::/0"}
PORT_PROTOCOLS = {"-1", "tcp", "6", "udp", "17", "all", "sctp", "132", "*"}

# an item standing on the network -> the key of the identity it runs as, and how (None: none known); a machine
# with several identities (an Azure VM's system- and user-assigned ones) gives a list
Resolve = Callable[[Item], "tuple[str, str] | list[tuple[str, str]] | None"]


def _tags(item: Item) -> dict[str, str]:
    raw = item.config.get("Tags")
    return {str(t.get("Key")): str(t.get("Value")) for t in raw if isinstance(t, dict)} if isinstance(raw, list) else {}


def _ports(low: Any, high: Any) -> str:
    if low in (None, -1) or (low, high) == (0, 65535):
        return "every port"
    return f"port {low}" if low == high or high is None else f"ports {low}-{high}"


def aws_world_openings(group: dict[str, Any]) -> list[str]:
    """What a security group opens to the whole internet, in words (``tcp port 443 from 0.0.0.0/0``)."""
    found = []
    for perm in group.get("IpPermissions") or []:
        if not isinstance(perm, dict) or str(perm.get("IpProtocol", "")).lower() not in PORT_PROTOCOLS:
            continue
        sources = [r.get("CidrIp") for r in perm.get("IpRanges") or [] if isinstance(r, dict)]
        sources += [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges") or [] if isinstance(r, dict)]
        for world in (w for w in WORLD if w in sources):
            protocol = "all traffic" if perm.get("IpProtocol") == "-1" else str(perm.get("IpProtocol"))
            found.append(f"{protocol} {_ports(perm.get('FromPort'), perm.get('ToPort'))} from {world}")
    return found


def aws_public(instance: dict[str, Any]) -> bool:
    if (instance.get("State") or {}).get("Name", "running") != "running":
        return False
    interfaces = [n for n in instance.get("NetworkInterfaces") or [] if isinstance(n, dict)]
    return bool(
        instance.get("PublicIpAddress") or any((n.get("Association") or {}).get("PublicIp") for n in interfaces)
    )


def aws_groups(instance: dict[str, Any]) -> set[str]:
    groups = [g for g in instance.get("SecurityGroups") or [] if isinstance(g, dict)]
    for interface in instance.get("NetworkInterfaces") or []:
        groups += [g for g in (interface or {}).get("Groups") or [] if isinstance(g, dict)]
    return {str(g.get("GroupId")) for g in groups if g.get("GroupId")}


def _azure_props(value: Any) -> dict[str, Any]:
    props = value.get("properties") if isinstance(value, dict) else None
    return props if isinstance(props, dict) else (value if isinstance(value, dict) else {})


def azure_world_openings(nsg: dict[str, Any]) -> list[str]:
    """The inbound Allow rules letting the internet in, by priority, up to a Deny of every port from anywhere."""
    rules = [(str(r.get("name") or ""), _azure_props(r)) for r in _azure_props(nsg).get("securityRules") or []]
    inbound = sorted(
        (r for r in rules if str(r[1].get("direction", "")).lower() == "inbound"),
        key=lambda r: int(r[1].get("priority") or 65535),
    )
    found = []
    for name, p in inbound:
        sources = [p.get("sourceAddressPrefix"), *(p.get("sourceAddressPrefixes") or [])]
        if not any(str(s).strip().lower() in AZURE_WORLD for s in sources if s):
            continue
        ports = [str(x) for x in [p.get("destinationPortRange"), *(p.get("destinationPortRanges") or [])] if x]
        if str(p.get("access", "")).lower() == "deny":
            if "*" in ports and str(p.get("protocol", "*")) == "*":
                break
            continue
        if ports and str(p.get("protocol", "*")).lower() in {"*", "tcp", "udp"}:
            found.append(f"rule {name}: {p.get('protocol', '*')} {', '.join(ports)} from {sources[0] or 'any'}")
    return found


def gcp_world_opening(rule: dict[str, Any]) -> str:
    """What an enabled ingress rule opens to the whole internet, in words ('' when nothing)."""
    if rule.get("disabled") or str(rule.get("direction") or "INGRESS").upper() != "INGRESS":
        return ""
    sources = [s for s in rule.get("sourceRanges") or [] if s in WORLD]
    allowed = [a for a in rule.get("allowed") or [] if isinstance(a, dict)]
    opened = [
        f"{a.get('IPProtocol')} {', '.join(a.get('ports') or ['every port'])}"
        for a in allowed
        if str(a.get("IPProtocol", "")).lower() in PORT_PROTOCOLS
    ]
    return f"{'; '.join(opened)} from {sources[0]}" if sources and opened else ""


def network_of(url: Any) -> str:
    """``projects/P/global/networks/N`` of a network URL or path (lowercased)."""
    text = str(url or "").lower()
    return "projects/" + text.split("projects/", 1)[1] if "projects/" in text else text


def gcp_applies(rule: dict[str, Any], network: str, tags: set[str], accounts: set[str]) -> bool:
    if network_of(rule.get("network")) != network:
        return False
    targets, by_account = (
        set(rule.get("targetTags") or []),
        {str(a).lower() for a in rule.get("targetServiceAccounts") or []},
    )
    if not targets and not by_account:
        return True
    return bool(targets & tags) or bool(by_account & accounts)


class NetworkEntries:
    """Adds the cloud-network entries of every account to a graph; ``resolve`` names a machine's identity."""

    def __init__(self, items: list[Item], findings: dict[int, list[HopFinding]], resolve: Resolve) -> None:
        self.findings = findings
        self.resolve = resolve
        self.by_type: dict[str, list[Item]] = {}
        for item in items:
            self.by_type.setdefault(item.type, []).append(item)

    def add(self, graph: Graph) -> None:
        self._aws(graph)
        self._azure(graph)
        self._gcp(graph)

    def _entry(self, graph: Graph, item: Item, label: str, detail: str) -> str:
        key = resource_key(item.id)
        if key not in graph.nodes:
            graph.node(
                Node(key, ENTRY, label, item.account, item.id, item.provider, "", self.findings.get(item.id, []))
            )
            graph.link(INTERNET, key, "exposes", detail)
        return key

    def _machine(
        self,
        graph: Graph,
        entry: tuple[Item, str, str],
        item: Item,
        label: str,
        detail: str,
        extra: list[HopFinding] | None = None,
    ) -> None:
        """The machine behind the firewall ``entry`` (item, label, what it opens), and the identity it runs as;
        a machine with no identity known is left out (it leads nowhere). ``extra``: findings of what the machine
        is one of (an EKS node's node group)."""
        resolved = self.resolve(item)
        identities = resolved if isinstance(resolved, list) else [resolved] if resolved is not None else []
        if not identities:
            return
        key = self._entry(graph, *entry)
        node = Node(
            resource_key(item.id),
            WORKLOAD,
            label,
            item.account,
            item.id,
            item.provider,
            "",
            [*self.findings.get(item.id, []), *(extra or [])],
        )
        graph.node(node)
        graph.link(key, node.key, "guards", detail)
        for identity, how in identities:
            graph.link(node.key, identity, "runs as", how)

    def _aws(self, graph: Graph) -> None:
        open_groups = {}
        for group in self.by_type.get(SG, []):
            found = aws_world_openings(group.config)
            if found:
                open_groups[(group.account, str(group.config.get("GroupId")))] = (group, found)
        if not open_groups:
            return
        nodegroups = {
            (g.account, str(g.config.get("clusterName")), str(g.config.get("nodegroupName"))): g
            for g in self.by_type.get(EKS_NODEGROUP, [])
        }
        for instance in self.by_type.get(EC2, []):
            if not aws_public(instance.config):
                continue
            tags = _tags(instance)
            nodegroup = tags.get("eks:nodegroup-name")
            label = f"EKS node {instance.name} ({nodegroup})" if nodegroup else f"EC2 instance {instance.name}"
            group_of = nodegroups.get((instance.account, tags.get("eks:cluster-name", ""), nodegroup or ""))
            extra = self.findings.get(group_of.id, []) if group_of is not None else []
            for group_id in sorted(aws_groups(instance.config)):
                if (instance.account, group_id) not in open_groups:
                    continue
                group, found = open_groups[(instance.account, group_id)]
                entry = (group, f"Security group {group.name}", "; ".join(found))
                self._machine(graph, entry, instance, label, f"{group_id} on a public address", extra)

    def _azure(self, graph: Graph) -> None:
        by_subnet: dict[str, list[tuple[Item, list[str]]]] = {}
        for nsg in self.by_type.get(NSG, []):
            found = azure_world_openings(nsg.config)
            for subnet in _azure_props(nsg.config).get("subnets") or [] if found else []:
                if isinstance(subnet, dict) and subnet.get("id"):
                    by_subnet.setdefault(str(subnet["id"]).lower(), []).append((nsg, found))
        self._azure_vms(graph)
        for pool in self.by_type.get(AGENT_POOL, []) if by_subnet else []:
            props = _azure_props(pool.config)
            if props.get("enableNodePublicIP") is not True:
                continue
            for nsg, found in by_subnet.get(str(props.get("vnetSubnetID") or "").lower(), []):
                entry = (nsg, f"Network security group {nsg.name}", "; ".join(found))
                label = f"AKS node pool {(pool.config.get('_cluster') or {}).get('name', '')}/{pool.name}"
                self._machine(graph, entry, pool, label, "its subnet, nodes with public IPs")

    def _azure_vms(self, graph: Graph) -> None:
        """NSG (the NIC's, else its subnet's; every one on the way open) -> NIC with a public IP -> its VM."""
        nsgs = {nsg.uid.lower(): (nsg, azure_world_openings(nsg.config)) for nsg in self.by_type.get(NSG, [])}
        if not any(found for _nsg, found in nsgs.values()):
            return
        subnet_nsg = azure_subnet_nsgs(self.by_type.get(NSG, []), self.by_type.get(VNET, []))
        vms = {vm.uid.lower(): vm for vm in self.by_type.get(AZURE_VM, [])}
        for nic in self.by_type.get(AZURE_NIC, []):
            props = _azure_props(nic.config)
            vm = vms.get(str((props.get("virtualMachine") or {}).get("id") or "").lower())
            configs = [_azure_props(c) for c in props.get("ipConfigurations") or [] if isinstance(c, dict)]
            if vm is None or not any((c.get("publicIPAddress") or {}).get("id") for c in configs):
                continue
            own = str((props.get("networkSecurityGroup") or {}).get("id") or "").lower()
            subnets = {str((c.get("subnet") or {}).get("id") or "").lower() for c in configs}
            on_way = [own] if own else []
            on_way += sorted({subnet_nsg[s] for s in subnets if s in subnet_nsg} - {own})
            if not on_way or not all(n in nsgs and nsgs[n][1] for n in on_way):
                continue  # no NSG known, one not collected, or one that keeps the internet out
            nsg, found = nsgs[on_way[0]]
            where = "its own NSG" if own else "its subnet's NSG"
            entry = (nsg, f"Network security group {nsg.name}", "; ".join(found))
            self._machine(graph, entry, vm, f"Virtual machine {vm.name}", f"{where}, NIC {nic.name} with a public IP")

    def _gcp(self, graph: Graph) -> None:
        rules = [(r, opening) for r in self.by_type.get(FIREWALL, []) if (opening := gcp_world_opening(r.config))]
        if not rules:
            return
        groups = {
            str(url).rsplit("/zones/", 1)[-1]
            for pool in self.by_type.get(GKE_NODE_POOL, [])
            for url in pool.config.get("instanceGroupUrls") or []
        }
        for instance in self.by_type.get(GCE, []):
            config = instance.config
            if config.get("status", "RUNNING") != "RUNNING" or created_by(config) in groups:
                continue  # stopped, or a GKE node: its node pool stands for it
            accounts = {
                str(a.get("email", "")).lower() for a in config.get("serviceAccounts") or [] if isinstance(a, dict)
            }
            tags = {str(t) for t in (config.get("tags") or {}).get("items") or []}
            for interface in (i for i in config.get("networkInterfaces") or [] if isinstance(i, dict)):
                if interface.get("accessConfigs") or interface.get("ipv6AccessConfigs"):
                    self._gcp_machine(graph, rules, instance, network_of(interface.get("network")), tags, accounts)
        clusters = {(c.account, c.name): c for c in self.by_type.get(GKE_CLUSTER, [])}
        for pool in self.by_type.get(GKE_NODE_POOL, []):
            cluster = clusters.get((pool.account, str(pool.config.get("_cluster") or "")))
            if cluster is None or not gke_pool_public(cluster.config, pool.config):
                continue
            node = pool.config.get("config") or {}
            project = str(cluster.config.get("_project") or "")
            network = network_of(
                (cluster.config.get("networkConfig") or {}).get("network")
                or f"projects/{project}/global/networks/{cluster.config.get('network') or 'default'}"
            )
            accounts = {str(node.get("serviceAccount") or "").lower()}
            self._gcp_machine(graph, rules, pool, network, {str(t) for t in node.get("tags") or []}, accounts)

    def _gcp_machine(self, graph: Graph, rules: list, item: Item, network: str, tags: set, accounts: set) -> None:
        label = f"GKE node pool {item.name}" if item.type == GKE_NODE_POOL else f"VM instance {item.name}"
        for rule, opening in rules:
            if gcp_applies(rule.config, network, tags, accounts):
                entry = (rule, f"Firewall rule {rule.name}", opening)
                self._machine(graph, entry, item, label, "a target of the rule, with an external address")


def azure_subnet_nsgs(nsgs: list[Item], vnets: list[Item]) -> dict[str, str]:
    """Subnet id -> the id of its NSG (lowercased), from the NSGs' ``subnets`` and the virtual networks' subnets."""
    found: dict[str, str] = {}
    for vnet in vnets:
        for subnet in _azure_props(vnet.config).get("subnets") or []:
            nsg = (_azure_props(subnet).get("networkSecurityGroup") or {}) if isinstance(subnet, dict) else {}
            if isinstance(subnet, dict) and subnet.get("id") and isinstance(nsg, dict) and nsg.get("id"):
                found[str(subnet["id"]).lower()] = str(nsg["id"]).lower()
    for nsg_item in nsgs:
        for subnet in _azure_props(nsg_item.config).get("subnets") or []:
            if isinstance(subnet, dict) and subnet.get("id"):
                found[str(subnet["id"]).lower()] = nsg_item.uid.lower()
    return found


def created_by(instance: dict[str, Any]) -> str:
    """``ZONE/instanceGroupManagers/NAME`` of the group that made a VM (its ``created-by`` metadata), or ''."""
    items = (instance.get("metadata") or {}).get("items") or []
    value = next((str(i.get("value")) for i in items if isinstance(i, dict) and i.get("key") == "created-by"), "")
    return value.rsplit("/zones/", 1)[-1] if "/instanceGroupManagers/" in value else ""


def gke_pool_public(cluster: dict[str, Any], pool: dict[str, Any]) -> bool:
    """Whether a node pool's nodes get external addresses (the pool's own setting, else the cluster's)."""
    default = (cluster.get("privateClusterConfig") or {}).get("enablePrivateNodes") is True or (
        cluster.get("networkConfig") or {}
    ).get("defaultEnablePrivateNodes") is True
    return (pool.get("networkConfig") or {}).get("enablePrivateNodes", default) is not True
