"""Whether a ``name = value`` pair (an env variable, a ConfigMap key) holds a literal secret, and why.

A careful reviewer's reading, shared by the collectors (which redact what it flags) and the rules (which fail
it):

- a value shaped like a credential is one whatever it is called: a private key, a cloud or SaaS key
  (``AKIA...``, ``ghp_...``, ``xoxb-...``), a JWT, an ``Authorization: Bearer ...`` header, ``password=...``;
- a name that says secret holds one (``DB_PASSWORD``, ``pwd``, ``DB_PASS``, ``AWS_SECRET_ACCESS_KEY``,
  ``AZURE_BATCH_KEY``, ``SSH_KEY_CONTENT``) unless its value only says *where* the secret is: a file path
  (``DB_PASSWORD_FILE=/run/secrets/db``), another variable (``$(DB_PASSWORD)``), a secret store's reference
  (``vault:secret/data/db#password``, an ARN, ``projects/p/secrets/s``, a Key Vault URL), or a flag
  (``TOKEN_AUTH=true``); names of the ``*_FILE``, ``*_PATH``, ``*_NAME``, ``*_ID`` ... conventions name
  where a secret is, not the secret.
"""

from __future__ import annotations

import re

from collectors.redact import SECRET_NAME, SECRET_VALUE

# Tokens of a name (DB_PASSWORD_FILE, azureBatchKey, ssh-key.content) that make it a secret's name.
SECRET_TOKENS = {"pwd", "passwd", "password", "secret", "token", "credential", "credentials"}
# ``<qualifier>_KEY`` and ``<qualifier>_KEY_CONTENT`` are keys, except where the qualifier says it is a lookup
# key, a public key or a key's id: CACHE_KEY, SORT_KEY, PUBLIC_KEY, GPG_KEY (a fingerprint), KMS_KEY (an id).
KEY_CONTENT_TOKENS = {"content", "contents", "data", "b64", "base64", "pem", "value", "string", "json"}
HARMLESS_KEY_QUALIFIERS = {
    "public",
    "pub",
    "cache",
    "sort",
    "partition",
    "primary",
    "foreign",
    "routing",
    "idempotency",
    "lookup",
    "hash",
    "range",
    "row",
    "object",
    "prefix",
    "gpg",
    "pgp",
    "kms",
    "cmk",
    "label",
    "group",
    "map",
    "sharding",
    "shard",
    "redis",
}
# Trailing name tokens that say where a secret is (or something about it), not what it is.
REFERENCE_TOKENS = {
    "file",
    "path",
    "dir",
    "name",
    "ref",
    "id",
    "arn",
    "uri",
    "url",
    "endpoint",
    "env",
    "mount",
    "length",
    "len",
    "size",
    "ttl",
    "expiry",
    "expiration",
    "type",
    "header",
    "enabled",
    "version",
}
FLAG_VALUES = {"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null"}
REFERENCE_VALUE = re.compile(
    r"^(?:"
    r"(?:/|\./|\.\./|~/)[\w./@+-]*"  # a file path
    r"|file://\S+"
    r"|\$\(\w+\)|\$\{[^}\s]+\}|\{\{[^}]+\}\}"  # another variable, a template
    r"|(?:vault|ref\+\w+|op|sm|awssm|gcpsm|azkv|secretsmanager|ssm|akv|keyvault|secret):(?://)?\S+"  # secret stores
    r"|arn:aws[\w-]*:(?:secretsmanager|ssm|kms):\S+"
    r"|projects/[^/\s]+/secrets/[^/\s]+(?:/versions/[^/\s]+)?"
    r"|https://[\w-]+\.vault\.azure\.net/(?:secrets|keys|certificates)/\S*"
    r")$"
)
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def name_tokens(name: str) -> list[str]:
    """``azureBatchKey`` -> [azure, batch, key]; ``DB_PASSWORD_FILE`` -> [db, password, file]."""
    return [t.lower() for t in re.split(r"[^A-Za-z0-9]+", CAMEL.sub("_", name)) if t]


def secret_name(name: str) -> bool:
    """Whether the name says it holds a secret (and not where one is)."""
    tokens = name_tokens(name)
    if not tokens or tokens[-1] in REFERENCE_TOKENS:
        return False
    if SECRET_NAME.search(name) or set(tokens) & SECRET_TOKENS:
        return True
    core = tokens[:-1] if tokens[-1] in KEY_CONTENT_TOKENS else tokens
    if core and core[-1] == "pass":  # DB_PASS, smtpPass (not PASS_THROUGH)
        return True
    return len(core) >= 2 and core[-1] == "key" and core[-2] not in HARMLESS_KEY_QUALIFIERS


def reference_value(value: str) -> bool:
    """Whether the value says where a secret is (a path, a variable, a store's reference) or is a flag."""
    text = value.strip().strip("'\"")
    return bool(REFERENCE_VALUE.match(text)) or text.lower() in FLAG_VALUES


def literal_secret(name: str, value: str) -> str | None:
    """Why ``name = value`` holds a literal secret, or None; never returns the value."""
    if not value.strip():
        return None
    if SECRET_VALUE.search(value):
        return "the value looks like a credential or private key"
    if secret_name(name) and not reference_value(value):
        return "the key is named like a secret"
    return None
