from __future__ import annotations

import logging

from alongside.core import context


class RequestIdFilter(logging.Filter):
    """Adds the request id to every log record so a log line can be matched to an audit row."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context.current()
        record.request_id = ctx.request_id if ctx else "-"
        return True
