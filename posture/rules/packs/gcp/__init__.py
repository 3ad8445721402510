"""Google Cloud rules: CIS Google Cloud Platform Foundation v5.0.0 and CIS GKE v1.9.0."""
