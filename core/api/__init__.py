"""API plumbing: the envelope, errors and their handler, parsers, renderers, paging, scopes, idempotency, OpenAPI."""
