"""Secrets: which settings are credentials, where kiter takes them from, and how they are masked.

Cross-account Kinesis keys (`kinesis.accessKey` / `kinesis.secretKey`) never come from a file:
a job with `cross_account = true` takes them from the environment at submit time, and they live
only in the script text sent to the engine for that run (for EMR, an S3 object deleted when the
step ends). Everything else kiter prints, saves or records passes through a `Redactor`, which masks
the secret values it was given wherever they appear, and the values of secret-named keys in the
forms logs and configuration dumps write them (`k=v`, `k: v`, `"k": "v"`, `k -> v`, `k v`, and
Hadoop's XML `<name>k</name><value>v</value>`), for secrets kiter was never told.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from kiter.checkpoint import CREDENTIAL_KEYS
from kiter.errors import UsageError
from kiter.scripts import set_lines

MASK = "****"
SECRET_KEYS = CREDENTIAL_KEYS  # the connector's credential settings
ACCESS_KEY_ENV = "KITER_KINESIS_ACCESS_KEY"
SECRET_KEY_ENV = "KITER_KINESIS_SECRET_KEY"

# Names of settings whose values are credentials (Kinesis, S3A, JDBC, LDAP, STS).
_SECRET_WORD = r"(?:secret|passw(?:or)?d|access[._-]?key|session[._-]?token)"
SECRET_NAME = re.compile(_SECRET_WORD, re.IGNORECASE)
_KEY = rf"[\w.$-]*{_SECRET_WORD}[\w.$-]*"
_VALUE = r"[^\s\"'<>;,)}\]]+"
# key = value, key: value, key -> value, key => value, "key": "value", 'key'='value'.
_ASSIGNED = re.compile(
    rf"(?P<head>[\"']?{_KEY}[\"']?\s*(?:=>|->|=|:)\s*[\"']?){_VALUE}", re.IGNORECASE
)
# `key value`, as Pig's SET and many log lines write it: only for dotted configuration names, so
# an ordinary sentence ("password authentication failed") keeps its words.
_SPACED = re.compile(rf"(?P<head>\b[\w$-]+(?:\.[\w$-]+)*\.{_KEY}\s+[\"']?){_VALUE}", re.IGNORECASE)
_XML = re.compile(
    rf"(?P<head><name>\s*{_KEY}\s*</name>\s*<value>)[^<]*(?=</value>)", re.IGNORECASE | re.DOTALL
)
# Values this short would mask half of every line; they are left to the key-based forms.
_MIN_SECRET_CHARS = 3


def is_secret_key(name: str) -> bool:
    """Whether a setting of this name holds a credential."""
    return bool(SECRET_NAME.search(name))


def cross_account_secrets(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """kinesis.accessKey / secretKey from the environment, for cross-account jobs at submit time."""
    env = os.environ if env is None else env
    access, secret = env.get(ACCESS_KEY_ENV, ""), env.get(SECRET_KEY_ENV, "")
    if not access or not secret:
        raise UsageError(
            f"a cross-account job needs {ACCESS_KEY_ENV} and {SECRET_KEY_ENV} in the environment"
        )
    for name, value in ((ACCESS_KEY_ENV, access), (SECRET_KEY_ENV, secret)):
        if not _CREDENTIAL.fullmatch(value):  # the message never shows the value
            raise UsageError(
                f"{name} holds whitespace, a quote, a backslash, ';', '$' or a character outside "
                "printable ASCII: no AWS key does, and a SET line could not carry it as it is"
            )
    return {"kinesis.accessKey": access, "kinesis.secretKey": secret}


# What a credential's value may hold: it goes into a SET line as it is (AWS keys are [A-Za-z0-9/+]).
_CREDENTIAL = re.compile(r"(?:(?!['\"`\\;$])[!-~])+")


# Where scripts carry credentials: SET lines (read as Hive's and as Pig's, so either form in either
# kind of script is found), TBLPROPERTIES' `"k"="v"` and the Pig loader's `'k=v'` arguments (any
# quoted pair, whatever holds it).
_QUOTED_PAIRS = (
    re.compile(rf"[\"']{_KEY}[\"']\s*=\s*[\"'](?P<value>[^\"'\n]*)[\"']", re.IGNORECASE),
    re.compile(rf"[\"']{_KEY}\s*=(?P<value>[^\"'\n]*)[\"']", re.IGNORECASE),
)


def script_secrets(text: str) -> set[str]:
    """The credential values a script's text sets, in every form Hive and Pig accept."""
    found: set[str] = set()
    for value in _secret_values(text):
        # Hive keeps a trailing comment in the value; the secret is what stands before it.
        for candidate in (value, value.split("--")[0], value.split("\n")[0]):
            candidate = candidate.strip().rstrip(";").strip()
            found.update(v for v in (candidate, candidate.strip("'\"")) if v)
        if "\n" in value:
            # A value over several lines (a `;` left out) may hold more SET lines: masking what
            # they set too is the safe side.
            found |= script_secrets(value.split("\n", 1)[1])
    found.discard(MASK)
    return found


def _secret_values(text: str) -> list[str]:
    values = [
        setting.value
        for dialect in ("hive", "pig")
        for setting in set_lines(text, dialect)
        if SECRET_NAME.search(setting.key)
    ]
    return values + [m["value"] for pattern in _QUOTED_PAIRS for m in pattern.finditer(text)]


def mask_values(text: str, values: Iterable[str]) -> str:
    """`text` with every occurrence of each known secret value replaced by ****."""
    for secret in sorted({v for v in values if v}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class Redactor:
    """Masks secrets in text bound for an Echo, an error message, a log excerpt or the ledger."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values = frozenset(v for v in values if v and len(v) >= _MIN_SECRET_CHARS)

    def including(self, values: Iterable[str]) -> Redactor:
        """A redactor that also masks `values`."""
        return Redactor([*self._values, *values])

    @property
    def values(self) -> frozenset[str]:
        return self._values

    def __call__(self, text: str) -> str:
        text = mask_values(text, self._values)
        text = _XML.sub(rf"\g<head>{MASK}", text)
        text = _ASSIGNED.sub(rf"\g<head>{MASK}", text)
        return _SPACED.sub(rf"\g<head>{MASK}", text)


NO_SECRETS = Redactor()
