"""Image vulnerability scan results: stored per (image digest, scanner), from cloud scans and imported reports."""
