"""Scanned documents for OFFLINE confirmation.

Each required document has a fixed storage name derived from its owner (a request) and its type,
so "uploaded" simply means "the storage has that name". A client gets a signed, expiring URL per
document: with the default file storage it is `PUT /api/uploads/<token>` of this service; with an
S3-compatible storage (django-storages) it is the bucket's presigned PUT URL for the same name.
"""

import io

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _
from PIL import Image, UnidentifiedImageError

from core.api.errors import ApiError, Conflict, NotFound, ValidationFailed

# the signature's fixed name (this module's first path): a URL already given must still verify
SALT = "core.documents.upload"
JPEG_TYPE = "image/jpeg"
NOT_A_JPEG = _("Document must be a JPEG image")
OWNER_NOT_NEW = _("Documents can only be uploaded while the request is new")
NOT_UPLOADED = _("Documents {} is not uploaded")
TOO_LARGE = _("Document must be at most {} bytes")
URL_NOT_FOUND = _("Upload URL not found")


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
            # the owner travels in the token, so an upload can check the request is still open
            claims = {"owner": owner._meta.label_lower, "pk": str(owner.pk), "type": type}
            token = signing.dumps(claims, salt=SALT, compress=True)
            url = request.build_absolute_uri(reverse("document-upload", kwargs={"token": token}))
        urls.append({"type": type, "url": url})
    return urls


def documents_missing(*, owner: models.Model, types: list[str]) -> list[str]:
    return [type for type in types if not default_storage.exists(storage_name(owner=owner, type=type))]


def documents_require(*, owner: models.Model, types: list[str]) -> None:
    missing = documents_missing(owner=owner, types=types)
    if missing:
        raise Conflict(gettext(NOT_UPLOADED).format(", ".join(missing)))


def document_store(*, token: str, content_type: str, content_length: int | None, read) -> dict:
    """Checks the signed token, the media type, the size and that the body is a JPEG, then stores it
    under its name while its owner request, locked, is still NEW (approve locks the same row)."""
    try:
        claims = signing.loads(token, salt=SALT, max_age=settings.UPLOAD_URL_TTL_SECONDS)
    except signing.SignatureExpired as error:
        raise UploadUrlExpired() from error
    except signing.BadSignature as error:
        raise NotFound(URL_NOT_FOUND) from error
    if "owner" not in claims:  # a URL signed before uploads named their request
        raise NotFound(URL_NOT_FOUND)
    if content_type.split(";")[0].strip().lower() != JPEG_TYPE:
        raise UnsupportedDocumentType()
    limit = settings.UPLOAD_MAX_BYTES
    if content_length is not None and content_length > limit:
        raise DocumentTooLarge()
    data = read(limit + 1)
    if len(data) > limit:
        raise DocumentTooLarge()
    if not is_one_page_jpeg(data):
        raise ValidationFailed(field="$", rule="format", description=NOT_A_JPEG)
    owner_model = apps.get_model(claims["owner"])
    with transaction.atomic():
        owner = owner_model.objects.select_for_update().filter(pk=claims["pk"]).first()
        if owner is None:
            raise NotFound(URL_NOT_FOUND)
        if owner.status != owner_model.Status.NEW:
            raise Conflict(OWNER_NOT_NEW)
        name = storage_name(owner=owner, type=claims["type"])
        if default_storage.exists(name):
            default_storage.delete(name)  # a re-upload replaces the earlier scan
        default_storage.save(name, ContentFile(data))
    return {"type": claims["type"], "size": len(data)}


def is_one_page_jpeg(data: bytes) -> bool:
    """Whether Pillow decodes `data` as one JPEG image, whole, and nothing else.

    Refused: another format under a JPEG name (PNG, PDF, ...), more than one frame (an MPO, a camera's
    stereo or depth pair), more pixels than Image.MAX_IMAGE_PIXELS (a decompression bomb: its size is in
    the header, so it is refused before anything is decoded), a file whose image data does not decode to
    the end (truncated, corrupt), and bytes after the end-of-image marker (a JPEG that is also a ZIP or a
    PDF). The size limit (UPLOAD_MAX_BYTES) was checked before. Pillow's `verify()` checks nothing for
    a JPEG (it only closes the file); decoding is the check, about 40 ms for a 12-megapixel scan.
    """
    if not data.endswith(b"\xff\xd9"):
        return False
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            # the MPO plugin takes a JPEG with a multi-picture index of more than one picture
            if image.format != "JPEG" or getattr(image, "n_frames", 1) != 1:
                return False
            if image.width * image.height > Image.MAX_IMAGE_PIXELS:  # Pillow would only warn up to twice this
                return False
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, UnidentifiedImageError):
        return False
    except (OSError, SyntaxError, ValueError, EOFError):  # what Pillow's decoders raise for a broken file
        return False
    return True


class DocumentTooLarge(ApiError):
    status = 413

    def __init__(self):
        super().__init__(gettext(TOO_LARGE).format(settings.UPLOAD_MAX_BYTES))


class UnsupportedDocumentType(ApiError):
    status = 415
    message = _("Content-Type must be image/jpeg")


class UploadUrlExpired(ApiError):
    status = 403
    message = _("Upload URL expired")


def _is_s3(storage) -> bool:
    return type(storage).__module__.startswith("storages.backends.s3")
