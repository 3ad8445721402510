"""Signed webhooks: :mod:`.signing` (sign and verify) and :mod:`.sender` (one POST)."""
