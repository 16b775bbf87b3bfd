"""Keep secret links out of the HTTP access log.

Activation, reset and e-mail confirmation links carry their secret in the path; whoever
reads the logs must not be able to use a pending link.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from common.logs import RequestIdFilter, formatter

SECRET_PATH = re.compile(r"^(/(?:activer|reinitialiser|email/confirmer)/)[^/?#\s]+")


def mask_secret_path(path: str) -> str:
    return SECRET_PATH.sub(r"\1…", path)


class MaskSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's access record: (client, method, path with query, http version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], mask_secret_path(args[2]), *args[3:])
        return True


def uvicorn_log_config(log_format: str = "text") -> dict[str, Any]:
    """uvicorn's loggers shaped like the product's (common/logs.py), secret paths masked."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["mask_secret_paths"] = {"()": MaskSecretPaths}
    config["filters"]["request_id"] = {"()": RequestIdFilter}
    for name in ("default", "access"):
        config["formatters"][name] = {"()": formatter, "log_format": log_format}
    config["handlers"]["default"]["filters"] = ["request_id"]
    config["handlers"]["access"]["filters"] = ["mask_secret_paths", "request_id"]
    return config
