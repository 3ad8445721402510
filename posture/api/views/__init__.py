"""API views, one module per area; thin: the work is in plain functions elsewhere."""
