"""Merge requests, one room: models, services, selectors, API, serializers, admin and demo data side by side."""
