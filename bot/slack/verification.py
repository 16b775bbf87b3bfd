"""Did Slack sign this request? Checked on the raw bytes, before anything reads the body.

Slack sends `X-Slack-Request-Timestamp` (Unix seconds) and `X-Slack-Signature: v0=<hex>`, hex
being HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>"). Anything else is refused the same
way, whatever its shape: a missing, repeated, non-numeric, signed or huge timestamp, a signature
of another version or with stray characters. Strict on purpose: `int()` reads "+1", "1_000" and
other scripts' digits, and `hmac.compare_digest` raises on non-ASCII text; Slack sends neither.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

MAX_AGE_SECONDS = 5 * 60
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def refusal(
    secret: str,
    timestamps: Sequence[str],
    signatures: Sequence[str],
    body: bytes,
    now: float,
) -> str | None:
    """None when Slack signed this request; else why not (English, for the log, with nothing
    of what the sender wrote). Each header is given with all its values, as received."""
    if len(timestamps) != 1 or len(signatures) != 1:
        return "signature headers missing or repeated"
    timestamp, signature = timestamps[0], signatures[0]
    if not _TIMESTAMP.fullmatch(timestamp):
        return "timestamp is not Unix seconds"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "timestamp more than five minutes away"
    if not _SIGNATURE.fullmatch(signature):
        return "signature is not v0=<64 hex digits>"
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        return "signature does not match"
    return None
