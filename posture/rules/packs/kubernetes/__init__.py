"""Kubernetes rules: CIS Kubernetes section 5 (and EKS/AKS/GKE section 4), Pod Security Standards, container stack,
and the kubelets' live configuration (the managed benchmarks' worker-node section)."""
