"""Keep secrets out of what Posture stores and shows: one set of patterns for configs and for error text.

Two uses share the patterns here:

- collected configuration (:func:`redact_string`, :func:`redact_args`, :func:`redact_document`): values a
  viewer sees in a resource's config lose credentials inside URLs, ``--password VALUE`` arguments and
  strings shaped like well-known keys, while harmless look-alikes (a URL without userinfo,
  ``--password-file=/path``, an image name) stay as they are;
- raw exception text logged at DEBUG (:func:`scrub_text`), which is scrubbed harder: bearer tokens,
  Authorization headers, ``key=value`` secrets, long base64 or JWT-looking strings, PEM blocks and the
  account's own credential values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "**redacted**"
SECRET_WORDS = r"passw(?:or)?d|passwd|secret|token|api[_-]?key|apikey|private[_-]?key|credential|access[_-]?key"
SECRET_NAME = re.compile(f"({SECRET_WORDS})", re.IGNORECASE)
# Strings that are keys by their shape, whatever they are called.
KEY_SHAPES = (
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}",
    r"\bgithub_pat_[A-Za-z0-9_]{22,}",
    r"\bglpat-[A-Za-z0-9_-]{20,}",
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}",
    r"\bAIza[0-9A-Za-z_-]{35}",
    r"\bnpm_[A-Za-z0-9]{36}",
    r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",
    r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*",
    r"(?i:\b(?:bearer|basic)[ \t]+)[A-Za-z0-9._~+/-]{16,}=*",  # an Authorization header's credentials
)
KEY_SHAPE = re.compile("|".join(KEY_SHAPES))
# ``password: ...`` in a config text, unless what follows is a reference (${VAR}, $(VAR), {{ tpl }}, a path)
SECRET_VALUE = re.compile(
    KEY_SHAPE.pattern + r"|(?i:passw(?:or)?d[ \t]*[=:][ \t]*(?!['\"]?(?:\$\{|\$\(|\{\{|/|<|['\"]))\S+)"
)
PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.DOTALL)
URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@?#]+)@")
# ``--db-password VALUE`` / ``--password=VALUE`` inside one string; the flag's own name decides.
SECRET_FLAG = re.compile(rf"^--?[\w.-]*(?:{SECRET_WORDS})[\w.-]*$", re.IGNORECASE)
INLINE_FLAG = re.compile(rf"(?P<flag>--?[\w.-]*(?:{SECRET_WORDS})[\w.-]*)(?P<sep>=|\s+)(?P<value>[^\s-]\S*)", re.I)
# Flags that name where a secret is, not the secret: --password-file=/path, --token-path, --secret-name.
REFERENCE_FLAG = re.compile(r"[-_.](?:file|path|dir|name|ref|env|mount|length|len|size)$", re.IGNORECASE)
# Error text only: headers, ``key=value`` pairs, and any long opaque string.
AUTH_HEADER = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:(?:bearer|basic|token)\s+)?[^\s'\",}]+")
BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+")
KEY_VALUE = re.compile(
    rf"(?i)([\w.-]*(?:{SECRET_WORDS}|signature|x-amz-security-token)[\w.-]*['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,;}}]+"
)
LONG_OPAQUE = re.compile(r"[A-Za-z0-9+/_=-]{32,}")
OPAQUE_DIGITS = 4  # a long run with this many digits is a key or token, not a path or a word
MIN_KNOWN = 6  # shorter credential values are not searched for: they would match ordinary words


def redact_string(value: str) -> str:
    """``value`` with URL userinfo, inline secret flags and key-shaped strings replaced by REDACTED."""
    if not value:
        return value
    value = URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", value)
    value = INLINE_FLAG.sub(_inline_flag, value)
    if "PRIVATE KEY-----" in value:
        value = PEM_BLOCK.sub(REDACTED, value)
    return KEY_SHAPE.sub(REDACTED, value)


def _inline_flag(match: re.Match[str]) -> str:
    if REFERENCE_FLAG.search(match["flag"]) or match["value"] == REDACTED:
        return match[0]
    return f"{match['flag']}{match['sep']}{REDACTED}"


def redact_args(args: list[Any]) -> list[Any]:
    """A container's ``command``/``args``: the value after a secret-named flag and secrets inside each string."""
    out: list[Any] = []
    hide_next = False
    for item in args:
        if not isinstance(item, str):
            out.append(item)
            hide_next = False
            continue
        if hide_next and not item.startswith("-"):
            out.append(REDACTED)
        else:
            out.append(redact_string(item))
        hide_next = bool(SECRET_FLAG.match(item)) and not REFERENCE_FLAG.search(item)
    return out


def secret_named(key: Any) -> bool:
    return bool(SECRET_NAME.search(str(key)))


def redact_document(value: Any) -> Any:
    """A JSON document with secret-named scalar fields, ``{name: SECRET, value: ...}`` pairs and secret-looking
    strings redacted, at any depth (for annotations and other free-form data)."""
    if isinstance(value, dict):
        pair_is_secret = isinstance(value.get("value"), str) and secret_named(value.get("name", ""))
        return {
            k: REDACTED
            if (isinstance(v, str) and v and (secret_named(k) or (k == "value" and pair_is_secret)))
            else redact_document(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_document(v) for v in value]
    if isinstance(value, str):
        return redact_string(value)
    return value


def redact_annotations(annotations: dict[str, Any]) -> dict[str, Any]:
    """Annotations with secret-named keys' values redacted and JSON values (a last-applied copy) redacted inside."""
    return {str(k): _annotation_value(str(k), v) for k, v in annotations.items()}


def _annotation_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    if secret_named(key.rsplit("/", 1)[-1]):
        return REDACTED
    if value.lstrip()[:1] in ("{", "["):
        try:
            document = json.loads(value)
        except ValueError:
            return redact_string(value)
        redacted = redact_document(document)
        return value if redacted == document else json.dumps(redacted, separators=(",", ":"))
    return redact_string(value)


def credential_values(credentials: Any) -> list[str]:
    """The secret strings of a Target's credentials (secret-named fields, also inside a kubeconfig or key file).

    Longest first, so a value is replaced before any shorter value inside it.
    """
    found: list[str] = []
    _collect_secrets(credentials, found)
    return sorted({v for v in found if len(v) >= MIN_KNOWN}, key=len, reverse=True)


def _collect_secrets(value: Any, found: list[str], secret: bool = False) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _collect_secrets(item, found, secret_named(key) or str(key).endswith(("-data", "_data", "content")))
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_secrets(item, found, secret)
    elif isinstance(value, str) and secret:
        found.append(value.strip())
        if "\n" in value.strip() or value.lstrip().startswith("{"):
            _collect_secrets(_parsed(value), found)


def _parsed(text: str) -> Any:
    import yaml  # a kubeconfig or a key file: JSON is YAML too

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def scrub_text(text: str, known: Iterable[str] = (), *, opaque: bool = True) -> str:
    """Raw error text fit for a DEBUG log: every known credential value and anything shaped like one removed.

    ``opaque=False`` keeps long runs of letters and digits (ids in a message Posture wrote itself).
    """
    for secret in known:
        if len(secret) >= MIN_KNOWN:
            for form in {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}:
                text = text.replace(form, REDACTED)
    text = PEM_BLOCK.sub(REDACTED, text)
    text = URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    text = AUTH_HEADER.sub(lambda m: f"{m[1]}{REDACTED}", text)
    text = BEARER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    text = KEY_VALUE.sub(lambda m: f"{m[1]}{REDACTED}", text)
    text = KEY_SHAPE.sub(REDACTED, text)
    return LONG_OPAQUE.sub(_opaque, text) if opaque else text


def _opaque(match: re.Match[str]) -> str:
    return REDACTED if sum(c.isdigit() for c in match[0]) >= OPAQUE_DIGITS else match[0]
