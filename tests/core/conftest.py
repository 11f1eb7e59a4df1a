"""Fixtures of the core tests: the console log lines, as the configured handlers write them."""

import io
import logging

import pytest

LOGGERS = ("", "django", "django.request", "django.server", "django.security", "py.warnings")


@pytest.fixture
def log_output():
    """Everything the configured stream handlers write (the console lines), into one buffer."""
    buffer = io.StringIO()
    handlers = {
        handler
        for name in LOGGERS
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler) and not type(handler).__module__.startswith("_pytest")
    }
    previous = {handler: handler.setStream(buffer) for handler in handlers}
    yield buffer
    for handler, stream in previous.items():
        handler.setStream(stream)
