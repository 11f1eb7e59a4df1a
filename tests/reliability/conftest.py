"""Fixtures of the reliability suites: the verification fixtures (in-memory outbox, limits off)."""

from tests.verifications.conftest import empty_outbox, no_send_limits  # noqa: F401 (fixtures)
