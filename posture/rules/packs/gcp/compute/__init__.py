"""Compute Engine rules (gcp.compute.*), one module per part: instances, networks and firewalls, load balancers."""
