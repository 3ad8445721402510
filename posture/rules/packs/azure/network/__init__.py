"""Azure network rules (azure.network.*), one module per part: NSGs and virtual networks, gateways, public endpoints."""
