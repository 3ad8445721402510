"""GKE rules (gcp.container.*), one module per part: clusters, node pools, supporting services."""
