"""Scanned documents for OFFLINE confirmation.

Each required document has a fixed storage name derived from its owner (a request) and its type,
so "uploaded" simply means "the storage has that name". A client gets a signed, expiring URL per
document: with the default file storage it is `PUT /api/uploads/<token>` of this service; with an
S3-compatible storage (django-storages) it is the bucket's presigned PUT URL for the same name.
"""

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.urls import reverse

from core.errors import ApiError, Conflict, NotFound, ValidationFailed

SALT = "core.documents.upload"
JPEG_MAGIC = b"\xff\xd8\xff"


def storage_name(*, owner: models.Model, type: str) -> str:
    return f"documents/{owner._meta.label_lower}/{owner.pk}/{type}.jpg"


def document_upload_urls(*, owner: models.Model, types: list[str], request) -> list[dict]:
    """One signed upload URL per document type, valid UPLOAD_URL_TTL_SECONDS."""
    urls = []
    for type in types:
        name = storage_name(owner=owner, type=type)
        if _is_s3(default_storage):
            url = default_storage.url(
                name,
                parameters={"ContentType": "image/jpeg"},
                expire=settings.UPLOAD_URL_TTL_SECONDS,
                http_method="PUT",
            )
        else:
            token = signing.dumps({"name": name, "type": type}, salt=SALT, compress=True)
            url = request.build_absolute_uri(reverse("document-upload", kwargs={"token": token}))
        urls.append({"type": type, "url": url})
    return urls


def documents_missing(*, owner: models.Model, types: list[str]) -> list[str]:
    return [type for type in types if not default_storage.exists(storage_name(owner=owner, type=type))]


def documents_require(*, owner: models.Model, types: list[str]) -> None:
    missing = documents_missing(owner=owner, types=types)
    if missing:
        raise Conflict(f"Documents {', '.join(missing)} is not uploaded")


def document_store(*, token: str, content_length: int | None, read) -> dict:
    """Checks the signed token, the size and that the body is a JPEG, then stores it under its name."""
    try:
        claims = signing.loads(token, salt=SALT, max_age=settings.UPLOAD_URL_TTL_SECONDS)
    except signing.SignatureExpired as error:
        raise UploadUrlExpired() from error
    except signing.BadSignature as error:
        raise NotFound("Upload URL not found") from error
    limit = settings.UPLOAD_MAX_BYTES
    if content_length is not None and content_length > limit:
        raise DocumentTooLarge()
    data = read(limit + 1)
    if len(data) > limit:
        raise DocumentTooLarge()
    if not data.startswith(JPEG_MAGIC):
        raise ValidationFailed(field="$", rule="format", description="Document must be a JPEG image")
    if default_storage.exists(claims["name"]):
        default_storage.delete(claims["name"])  # a re-upload replaces the earlier scan
    default_storage.save(claims["name"], ContentFile(data))
    return {"type": claims["type"], "size": len(data)}


class DocumentTooLarge(ApiError):
    status = 413

    def __init__(self):
        super().__init__(f"Document must be at most {settings.UPLOAD_MAX_BYTES} bytes")


class UploadUrlExpired(ApiError):
    status = 403
    message = "Upload URL expired"


def _is_s3(storage) -> bool:
    return type(storage).__module__.startswith("storages.backends.s3")
