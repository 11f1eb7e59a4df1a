"""Observability: metrics, log formats, phone masking, request ids, system checks, the database-down 503."""
