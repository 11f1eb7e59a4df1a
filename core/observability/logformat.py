"""LOG_FORMAT=json: one JSON object per line, for a log shipper (Loki, Elasticsearch, CloudWatch).

`{"timestamp": "2026-12-06T16:17:37.120Z", "level": "INFO", "logger": "verifications.services",
"message": "sms ... sent to +38050*****67 (attempt 1)", "request_id": "..."}`, and `exception` (the
traceback) when there is one. Every phone number is masked, as in the text format: the record was
masked where it was made (core.observability.masking.install_log_record_masking,
core.observability.request_id.RequestIdLogFilter) and each field is masked once more here, for a handler
that got its record some other way. Nothing here needs Django: gunicorn's own loggers use this formatter
too (config/gunicorn.py).
"""

import json
import logging
from datetime import UTC, datetime

from core.observability.masking import mask_phones_in


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or "-",
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        masked = {name: mask_phones_in(value) if isinstance(value, str) else value for name, value in entry.items()}
        return json.dumps(masked, ensure_ascii=False)
