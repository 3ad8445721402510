"""Workload rules (kubernetes.workloads.*), one module per part: the Pod Security Standards profiles, hygiene, drift."""
