"""Signed upload URLs and the JPEG upload of OFFLINE scans."""

import datetime

import pytest
from django.core import signing

from core.documents import documents_missing, documents_require, storage_name
from core.errors import Conflict
from persons.models import Person

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100 + b"\xff\xd9"


@pytest.fixture
def owner():
    return Person.objects.create(
        first_name="Петро", last_name="Іванов", birth_date=datetime.date(1991, 8, 19), gender="MALE"
    )


@pytest.fixture
def urls(owner, rf):
    from core.documents import document_upload_urls

    return document_upload_urls(owner=owner, types=["PASSPORT", "TAX_ID"], request=rf.get("/"))


def put(client, url, body, content_type="image/jpeg"):
    return client.put(url.removeprefix("http://testserver"), data=body, content_type=content_type)


def test_urls_are_signed_per_type(urls):
    assert [u["type"] for u in urls] == ["PASSPORT", "TAX_ID"]
    assert all(u["url"].startswith("http://testserver/api/uploads/") for u in urls)


def test_upload_then_nothing_missing(client, owner, urls):
    assert documents_missing(owner=owner, types=["PASSPORT", "TAX_ID"]) == ["PASSPORT", "TAX_ID"]
    response = put(client, urls[0]["url"], JPEG)
    assert response.status_code == 200
    assert response.json()["data"] == {"type": "PASSPORT", "size": len(JPEG)}
    assert documents_missing(owner=owner, types=["PASSPORT", "TAX_ID"]) == ["TAX_ID"]
    with pytest.raises(Conflict, match=r"^Documents TAX_ID is not uploaded$"):
        documents_require(owner=owner, types=["PASSPORT", "TAX_ID"])
    put(client, urls[1]["url"], JPEG)
    documents_require(owner=owner, types=["PASSPORT", "TAX_ID"])


def test_missing_documents_are_named_in_the_conflict(owner):
    with pytest.raises(Conflict, match=r"^Documents PASSPORT, TAX_ID is not uploaded$"):
        documents_require(owner=owner, types=["PASSPORT", "TAX_ID"])


def test_not_a_jpeg_is_422(client, urls):
    response = put(client, urls[0]["url"], b"%PDF-1.4 not an image")
    assert response.status_code == 422
    assert response.json()["error"]["invalid"][0]["rules"][0]["description"] == "Document must be a JPEG image"


def test_too_large_is_413(client, urls, settings):
    settings.UPLOAD_MAX_BYTES = 50
    response = put(client, urls[0]["url"], JPEG)
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "Document must be at most 50 bytes"


def test_tampered_token_is_404(client):
    response = client.put("/api/uploads/forged:token", data=JPEG, content_type="image/jpeg")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Upload URL not found"


def test_expired_url_is_403(client, owner, settings):
    token = signing.dumps(
        {"name": storage_name(owner=owner, type="PASSPORT"), "type": "PASSPORT"},
        salt="core.documents.upload",
        compress=True,
    )
    settings.UPLOAD_URL_TTL_SECONDS = -1
    response = client.put(f"/api/uploads/{token}", data=JPEG, content_type="image/jpeg")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Upload URL expired"


def test_reupload_replaces(client, owner, urls):
    put(client, urls[0]["url"], JPEG)
    assert put(client, urls[0]["url"], JPEG + b"more").json()["data"]["size"] == len(JPEG) + 4
