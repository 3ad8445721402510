"""Azure rules: CIS Microsoft Azure Foundations v6.0.0 and CIS AKS v1.8.0 (managed-service controls)."""
