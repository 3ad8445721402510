"""Rule packs, one package per provider; every module here is imported at start-up."""
