"""`Idempotency-Key`: a retried POST or PATCH returns the first answer and does nothing again.

Every API viewset gets this through `core.api.views.ClientViewSet` (IdempotentViewMixin): after the
token, the `Api-key` and the scope are checked, a request that carries the header claims the key
(client, key) by inserting its row, committed at once under the primary key, before the action runs.

- the first request with the key runs and its answer (status, body, a few headers) is stored;
- a retry with the same key, method, path and body gets that stored answer (header
  `Idempotent-Replayed: true`) and runs nothing: no second SMS, no second attempt counted;
- the same key with another method, path or body: 422 `validation_failed` on `$.headers.Idempotency-Key`;
- a retry while the first is still running (parallel retries): 409, so the action runs once;
- an answer that says "try again" (5xx, 429) or a request that crashed frees the key for the retry;
  a key held longer than IDEMPOTENCY_KEY_LEASE_SECONDS (its process died) may be taken over.

Keys are per client (a SHA-256 of the client's id and the key is stored, never the key) and kept
IDEMPOTENCY_KEY_TTL_HOURS (24 h); `manage.py cleanup` deletes older ones.
"""

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse
from django.http.request import RawPostDataException
from django.utils import timezone

from core.api.errors import Conflict, ValidationFailed
from core.models import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = ("POST", "PATCH")
ENTRY = "$.headers.Idempotency-Key"
KEY_INVALID = "Idempotency-Key must be 1 to 255 visible ASCII characters"
KEY_REUSED = "This Idempotency-Key was already used for a different request"
KEY_IN_PROGRESS = "A request with this Idempotency-Key is still being processed"
# answers that tell the client to try again: the retry must really run, so they free the key
_RETRYABLE = 429
_KEPT_HEADERS = ("Content-Type", "Retry-After", "Location")
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
DELETE_BATCH = 5000


def _ttl() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def _header_error(description: str, rule: str = "invalid") -> ValidationFailed:
    error = ValidationFailed(field=ENTRY, description=description, rule=rule)
    error.invalid[0]["entry_type"] = "header"
    return error


def key_digest(*, client_id, key: str) -> str:
    return hashlib.sha256(f"{client_id}:{key}".encode()).hexdigest()


def request_digest(*, method: str, path: str, body: bytes) -> str:
    """The request's fingerprint: method, path and body (JSON compared by content, not by spelling)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256(f"{method} {path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


@dataclass(frozen=True)
class Claim:
    """This request holds the key (the row it inserted or took over, told apart by `started_at`)."""

    key_digest: str
    started_at: object


class Replay(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response
        super().__init__("idempotent replay")


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(row.response_body.encode(), status=row.response_status)
    for name, value in row.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_claim(*, client, key: str, fingerprint: str, now=None) -> Claim:
    """Claim (client, key) for this request, or raise: Replay with the first answer, 409 while the
    first is still running, 422 when the key was used for another request."""
    if not _VALID_KEY.match(key):
        raise _header_error(KEY_INVALID)
    digest = key_digest(client_id=client.pk, key=key)
    for _ in range(3):  # a key freed or expired between our insert and our read: try again
        now = timezone.now()
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    key_digest=digest, request_digest=fingerprint, created_at=now, started_at=now
                )
            return Claim(digest, now)
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(pk=digest).first()
        if row is None:
            continue
        if row.created_at <= now - _ttl():  # an expired key that cleanup has not deleted yet: a new key
            taken = IdempotencyKey.objects.filter(pk=digest, created_at=row.created_at).update(
                request_digest=fingerprint,
                status=IdempotencyKey.Status.PROCESSING,
                response_status=None,
                response_headers={},
                response_body="",
                created_at=now,
                started_at=now,
            )
            if taken:
                return Claim(digest, now)
            continue
        if row.request_digest != fingerprint:
            raise _header_error(KEY_REUSED)
        if row.status == IdempotencyKey.Status.DONE:
            raise Replay(_replay(row))
        lease = timedelta(seconds=settings.IDEMPOTENCY_KEY_LEASE_SECONDS)
        if row.started_at <= now - lease:  # its request died without an answer: run it again
            taken = IdempotencyKey.objects.filter(
                pk=digest, status=IdempotencyKey.Status.PROCESSING, started_at=row.started_at
            ).update(started_at=now)
            if taken:
                logger.warning("idempotency key %s… abandoned by its request; taken over", digest[:12])
                return Claim(digest, now)
        raise Conflict(KEY_IN_PROGRESS)
    raise Conflict(KEY_IN_PROGRESS)


def idempotency_finish(*, claim: Claim, response) -> None:
    """Store the first answer for the retries, or free the key when the answer says "try again"."""
    held = IdempotencyKey.objects.filter(
        pk=claim.key_digest, status=IdempotencyKey.Status.PROCESSING, started_at=claim.started_at
    )
    if response.status_code >= 500 or response.status_code == _RETRYABLE:
        held.delete()
        return
    if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
        response.render()
    held.update(
        status=IdempotencyKey.Status.DONE,
        response_status=response.status_code,
        response_headers={name: response[name] for name in _KEPT_HEADERS if response.has_header(name)},
        response_body=response.content.decode(),
    )


def idempotency_release(*, claim: Claim) -> None:
    """The request failed without an answer: free the key. If the database is the failure, the key
    stays held until the lease ends."""
    try:
        IdempotencyKey.objects.filter(
            pk=claim.key_digest, status=IdempotencyKey.Status.PROCESSING, started_at=claim.started_at
        ).delete()
    except DatabaseError:
        logger.warning("idempotency key %s… not freed; a retry takes it over after the lease", claim.key_digest[:12])


def idempotency_keys_delete_old(*, now) -> int:
    """Delete keys older than the TTL, in batches; how many."""
    old = IdempotencyKey.objects.filter(created_at__lt=now - _ttl())
    deleted = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:DELETE_BATCH])
        if ids:
            deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < DELETE_BATCH:
            return deleted


def _body(request) -> bytes:
    try:
        return request.body  # the HttpRequest's, through DRF's Request
    except RawPostDataException:  # already read as a stream: fingerprint what was parsed
        return json.dumps(request.data, sort_keys=True, default=str).encode()


class IdempotentViewMixin:
    """For DRF views whose clients are `request.auth.application`: `Idempotency-Key` on POST and PATCH."""

    _idempotency: Claim | None = None

    def dispatch(self, request, *args, **kwargs):
        self._idempotency = None
        try:
            return super().dispatch(request, *args, **kwargs)
        except BaseException:
            if self._idempotency is not None:
                idempotency_release(claim=self._idempotency)
            raise

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticated, permitted: the client is known
        key = request.headers.get(HEADER)
        if key is None or request.method not in METHODS:
            return
        fingerprint = request_digest(method=request.method, path=request.get_full_path(), body=_body(request))
        self._idempotency = idempotency_claim(client=request.auth.application, key=key, fingerprint=fingerprint)

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim, self._idempotency = self._idempotency, None
        if claim is not None:
            idempotency_finish(claim=claim, response=response)
        return response
