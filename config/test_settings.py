"""Test settings: the real settings with test-only services (in-memory SMS and files, inline tasks)."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SMS_BACKEND", "locmem")

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SMS_BACKEND = "locmem"
# Tasks run inline unless a test asks for the real database worker.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# fast passwords for people; client secrets keep their own fast digest, as in production
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "core.oauth.hashers.ClientSecretHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
LANGUAGE_CODE = "en"
SMS_FILE_PATH = BASE_DIR / "var" / "test-sms-outbox.jsonl"
DEMO_CREDENTIALS_FILE = BASE_DIR / "var" / "test-demo-credentials.json"
# Serve static files from the apps (no collectstatic) for the live-server browser tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
