"""Scanned documents for OFFLINE confirmation: signed upload URLs, the upload itself, the JPEG check."""
