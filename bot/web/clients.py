"""Who sent a request, as the per-client limits count it (sign-in, reset, support form).

uvicorn gives the TCP peer, or the visitor named by `X-Forwarded-For` when the peer is a
proxy it trusts (`FORWARDED_ALLOW_IPS`, loopback by default). Either way that address is
one visitor, private or public. One case is not: a private peer that forwards someone else
and is not trusted is a proxy in front of everyone, and counting it would let a few typos
anywhere lock the whole site out; it is not counted, and the operator is told once.
"""

from __future__ import annotations

import ipaddress
import logging

from starlette.requests import Request

log = logging.getLogger(__name__)

NOT_ONE_VISITOR = ""
# Once per process: any visitor can send the header, and the log must not fill with it.
_operator_told = False


def client_address(request: Request) -> str:
    """The visitor's address, or NOT_ONE_VISITOR when the request cannot name one."""
    if request.client is None or not request.client.host:
        return NOT_ONE_VISITOR
    host = request.client.host
    if not _through_untrusted_proxy(request, host):
        return host
    global _operator_told
    if not _operator_told:
        _operator_told = True
        log.warning(
            "requests from %s carry X-Forwarded-For/Forwarded but uvicorn does not trust it:"
            " set FORWARDED_ALLOW_IPS to the proxy's address, or per-client limits count"
            " every visitor behind it as one",
            host,
        )
    return host if _is_public(host) else NOT_ONE_VISITOR


def _through_untrusted_proxy(request: Request, host: str) -> bool:
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded is None and "forwarded" not in request.headers:
        return False
    # uvicorn replaced the peer with one of these when it trusted the proxy.
    named = {part.strip() for part in (forwarded or "").split(",")}
    return host not in named


def _is_public(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return False
