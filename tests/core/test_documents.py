"""Signed upload URLs and the JPEG upload of scanned documents."""

import io
import random

import pytest
from django.core import signing
from django.core.files.storage import default_storage
from PIL import Image

from core.api.errors import Conflict
from core.documents.uploads import documents_missing, documents_require, is_one_page_jpeg, storage_name
from persons.models import AuthenticationMethodRequest
from tests.core.samples import JPEG
from tests.persons.factories import AuthenticationMethodRequestFactory

pytestmark = pytest.mark.django_db

Status = AuthenticationMethodRequest.Status


@pytest.fixture
def owner(caller):
    return AuthenticationMethodRequestFactory(client=caller.client)


@pytest.fixture
def urls(owner, rf):
    from core.documents.uploads import document_upload_urls

    return document_upload_urls(owner=owner, types=["PASSPORT", "TAX_ID"], request=rf.get("/"))


def put(client, url, body, content_type="image/jpeg", **extra):
    return client.put(url.removeprefix("http://testserver"), data=body, content_type=content_type, **extra)


def stored(owner, type="PASSPORT") -> bytes | None:
    name = storage_name(owner=owner, type=type)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name) as file:
        return file.read()


def test_urls_are_signed_per_type(urls):
    assert [u["type"] for u in urls] == ["PASSPORT", "TAX_ID"]
    assert all(u["url"].startswith("http://testserver/api/uploads/") for u in urls)


def test_token_names_its_owner_request(owner, urls):
    token = urls[0]["url"].rsplit("/", 1)[1]
    assert signing.loads(token, salt="core.documents.upload") == {
        "owner": "persons.authenticationmethodrequest",
        "pk": str(owner.pk),
        "type": "PASSPORT",
    }


def test_upload_then_nothing_missing(client, owner, urls):
    assert documents_missing(owner=owner, types=["PASSPORT", "TAX_ID"]) == ["PASSPORT", "TAX_ID"]
    response = put(client, urls[0]["url"], JPEG)
    assert response.status_code == 200
    assert response.json()["data"] == {"type": "PASSPORT", "size": len(JPEG)}
    assert stored(owner) == JPEG
    assert documents_missing(owner=owner, types=["PASSPORT", "TAX_ID"]) == ["TAX_ID"]
    with pytest.raises(Conflict, match=r"^Documents TAX_ID is not uploaded$"):
        documents_require(owner=owner, types=["PASSPORT", "TAX_ID"])
    put(client, urls[1]["url"], JPEG)
    documents_require(owner=owner, types=["PASSPORT", "TAX_ID"])


def test_missing_documents_are_named_in_the_conflict(owner):
    with pytest.raises(Conflict, match=r"^Documents PASSPORT, TAX_ID is not uploaded$"):
        documents_require(owner=owner, types=["PASSPORT", "TAX_ID"])


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CANCELLED, Status.EXPIRED])
def test_upload_after_the_request_left_new_is_409_and_keeps_the_file(client, owner, urls, status):
    assert put(client, urls[0]["url"], JPEG).status_code == 200
    AuthenticationMethodRequest.objects.filter(pk=owner.pk).update(status=status)
    replacement = JPEG[:2] + b"\xff\xfe\x00\x04hi" + JPEG[2:]
    response = put(client, urls[0]["url"], replacement)
    assert response.status_code == 409
    assert response.json()["error"] == {
        "type": "request_conflict",
        "message": "Documents can only be uploaded while the request is new",
    }
    assert stored(owner) == JPEG
    assert put(client, urls[1]["url"], JPEG).status_code == 409
    assert stored(owner, "TAX_ID") is None


def test_upload_for_a_deleted_request_is_404(client, owner, urls):
    owner.delete()
    assert put(client, urls[0]["url"], JPEG).status_code == 404


@pytest.mark.parametrize("content_type", ["application/octet-stream", "image/png", "application/json", "text/plain"])
def test_only_image_jpeg_is_accepted(client, owner, urls, content_type):
    response = put(client, urls[0]["url"], JPEG, content_type=content_type)
    assert response.status_code == 415
    assert response.json()["error"] == {
        "type": "unsupported_media_type",
        "message": "Content-Type must be image/jpeg",
    }
    assert stored(owner) is None


def test_image_jpeg_with_parameters_is_accepted(client, urls):
    assert put(client, urls[0]["url"], JPEG, content_type="Image/JPEG; q=1").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"%PDF-1.4 not an image",
        b"\xff\xd8\xff\xe0" + b"\x00" * 100 + b"\xff\xd9",  # the magic bytes, then nothing of a JPEG
        b"\xff\xd8\xff",
        JPEG[:-2],  # truncated: no EOI
        JPEG + b"%PDF-1.4",  # something glued after EOI
        JPEG[:2] + JPEG[2 + 69 : 2 + 69 + 15] + JPEG[-2:],  # a frame but no scan
        b"",
    ],
    ids=["pdf", "magic-only", "three-bytes", "truncated", "trailing", "no-scan", "empty"],
)
def test_not_a_jpeg_is_422(client, owner, urls, body):
    response = put(client, urls[0]["url"], body, CONTENT_TYPE="image/jpeg")  # also for an empty body
    assert response.status_code == 422
    assert response.json()["error"]["invalid"][0]["rules"][0]["description"] == "Document must be a JPEG image"
    assert stored(owner) is None


def test_a_real_jpeg_with_restart_markers_and_fill_bytes_passes():
    head, scan_end = JPEG[:-3], JPEG[-3:]
    assert is_one_page_jpeg(head + b"\xff\x00\xff\xd0" + scan_end)
    assert is_one_page_jpeg(JPEG[:2] + b"\xff" + JPEG[2:])


def picture(format="JPEG", size=(64, 48), **options) -> bytes:
    """A picture Pillow writes, in any format it can."""
    image = Image.new("RGB", size, (200, 120, 40))
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def noise(size=(256, 256)) -> bytes:
    """A JPEG of random pixels: its scan data is most of the file."""
    image = Image.frombytes("RGB", size, random.Random(1).randbytes(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


PHOTO = noise()


@pytest.mark.parametrize(
    "photo",
    [PHOTO, picture(size=(1200, 900), quality=85, progressive=True), picture(size=(64, 48), subsampling=0)],
    ids=["baseline", "progressive", "no-subsampling"],
)
def test_a_photo_from_pillow_passes(client, owner, urls, photo):
    response = put(client, urls[0]["url"], photo)
    assert response.status_code == 200
    assert stored(owner) == photo


def two_frames(format: str) -> bytes:
    first, second = Image.new("RGB", (32, 32), "red"), Image.new("RGB", (32, 32), "blue")
    buffer = io.BytesIO()
    first.save(buffer, format, save_all=True, append_images=[second])
    return buffer.getvalue()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(picture("PNG"), id="png"),
        pytest.param(picture("GIF"), id="gif"),
        pytest.param(picture("WEBP"), id="webp"),
        pytest.param(picture()[: len(picture()) // 2] + b"\xff\xd9", id="truncated-in-the-headers"),
        pytest.param(PHOTO[: len(PHOTO) * 3 // 4], id="truncated-in-the-scan"),
        pytest.param(PHOTO[:-2], id="truncated-before-eoi"),
        pytest.param(PHOTO + b"PK\x05\x06" + b"\x00" * 18, id="zip-glued-after-eoi"),
        pytest.param(two_frames("MPO"), id="mpo-two-frames"),
        pytest.param(two_frames("TIFF"), id="tiff-two-pages"),
        pytest.param(two_frames("GIF"), id="gif-two-frames"),
    ],
)
def test_what_pillow_does_not_decode_as_one_jpeg_is_422(client, owner, urls, body):
    response = put(client, urls[0]["url"], body)  # sent as image/jpeg, as a file renamed .jpg would be
    assert response.status_code == 422
    assert response.json()["error"] == {
        "type": "validation_failed",
        "message": "Validation failed",
        "invalid": [
            {
                "entry_type": "json_data_property",
                "entry": "$",
                "rules": [{"rule": "format", "description": "Document must be a JPEG image", "params": []}],
            }
        ],
    }
    assert stored(owner) is None


def with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its frame header (SOF) claiming another size: nothing more to decode."""
    sof = jpeg.index(b"\xff\xc0")
    return jpeg[: sof + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + jpeg[sof + 9 :]


def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, owner, urls, monkeypatch):
    bomb = with_size(JPEG, 65000, 65000)  # 4.2 gigapixels claimed in 160 bytes
    assert len(bomb) == len(JPEG)
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self))
    assert put(client, urls[0]["url"], bomb).status_code == 422
    assert decoded == []
    assert stored(owner) is None


@pytest.mark.parametrize("side", [11, 20], ids=["over-the-limit", "over-twice-the-limit"])
def test_more_pixels_than_max_image_pixels_is_refused(client, urls, monkeypatch, side):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow warns above it, raises above twice it
    assert is_one_page_jpeg(picture(size=(10, 10)))
    assert put(client, urls[0]["url"], picture(size=(side, side))).status_code == 422


def test_too_large_is_413(client, urls, settings):
    settings.UPLOAD_MAX_BYTES = 50
    response = put(client, urls[0]["url"], JPEG)
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "Document must be at most 50 bytes"


@pytest.mark.parametrize("value", ["²", "١٢", "12a", "1" * 4301, "-1"])
def test_content_length_that_is_not_a_number_is_422(client, urls, value):
    response = put(client, urls[0]["url"], JPEG, CONTENT_LENGTH=value)
    assert response.status_code == 422
    assert response.json()["error"]["invalid"] == [
        {
            "entry_type": "header",
            "entry": "Content-Length",
            "rules": [{"rule": "number", "description": "Must be a number of bytes", "params": []}],
        }
    ]


def test_tampered_token_is_404(client):
    response = client.put("/api/uploads/forged:token", data=JPEG, content_type="image/jpeg")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Upload URL not found"


def test_a_token_without_an_owner_is_404(client, owner):
    token = signing.dumps(
        {"name": storage_name(owner=owner, type="PASSPORT"), "type": "PASSPORT"},
        salt="core.documents.upload",
        compress=True,
    )
    assert client.put(f"/api/uploads/{token}", data=JPEG, content_type="image/jpeg").status_code == 404


def test_expired_url_is_403(client, urls, settings):
    settings.UPLOAD_URL_TTL_SECONDS = -1
    response = put(client, urls[0]["url"], JPEG)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Upload URL expired"


def test_reupload_replaces(client, owner, urls):
    put(client, urls[0]["url"], JPEG)
    other = JPEG[:2] + b"\xff\xfe\x00\x06note" + JPEG[2:]  # the same picture with a comment segment
    assert put(client, urls[0]["url"], other).json()["data"]["size"] == len(other)
    assert stored(owner) == other
