"""OpenAPI: the envelope, the standard error answers and the two-part security (token + Api-key)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from core.api.errors import error_type_for
from core.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.api.idempotency import METHODS as IDEMPOTENT_METHODS
from core.api.idempotency import IdempotentViewMixin
from core.api.permissions import required_scopes

ERROR_DESCRIPTIONS = {
    400: "Malformed JSON body",
    401: "Missing, unknown or expired token; missing or wrong `Api-key`",
    403: "The token lacks a scope this endpoint needs",
    404: "Not found (or not visible to this client)",
    409: "The request conflicts with the current state",
    415: "Body is not `application/json`",
    422: "Validation failed (`invalid` names each failing field) or a rule of the request was broken",
    429: "Too many requests; see the `Retry-After` header",
}


class InvalidRuleSerializer(serializers.Serializer):
    rule = serializers.CharField()
    description = serializers.CharField()
    params = serializers.ListField(child=serializers.JSONField())


class InvalidEntrySerializer(serializers.Serializer):
    entry_type = serializers.CharField(default="json_data_property")
    entry = serializers.CharField(help_text="JSON path of the failing field, e.g. `$.phone_number`")
    rules = InvalidRuleSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="access_denied, forbidden, not_found, request_conflict, ...")
    message = serializers.CharField()
    invalid = InvalidEntrySerializer(many=True, required=False, help_text="At most the first 100 failing fields")
    invalid_count = serializers.IntegerField(
        required=False, help_text="How many fields failed, present only when `invalid` was cut at 100"
    )

    class Meta:
        ref_name = "Error"


def error_responses(*codes: int) -> dict:
    """`@extend_schema(responses={200: X, **error_responses(409, 429)})`."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS.get(code, error_type_for(code)))
        for code in codes
    }


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[\x21-\x7e]{1,255}$",
    description=(
        "Optional, up to 255 visible ASCII characters (e.g. a UUID), unique per operation. A retry with "
        "the same key, path and body within 24 h returns the first answer (with `Idempotent-Replayed: true`) "
        "and does nothing again; the same key with another body is 422 `validation_failed` on "
        "`$.headers.Idempotency-Key`; a retry while the first request is still running is 409. Keys are "
        "per client; a 5xx or 429 answer frees the key."
    ),
)


def _is_idempotent(view, method: str) -> bool:
    return method in IDEMPOTENT_METHODS and isinstance(view, IdempotentViewMixin)


class EnvelopeAutoSchema(AutoSchema):
    """Adds the error answers every endpoint can give, `Idempotency-Key` on every POST and PATCH, and
    names the scope in the description."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if _is_idempotent(self.view, self.method):
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = []
        if self.view.get_authenticators():
            codes += [401, 403]
        if "{" in self.path:
            codes.append(404)
        if self.method in ("POST", "PUT", "PATCH"):
            codes += [400, 415, 422]
        if _is_idempotent(self.view, self.method):
            codes.append(409)  # a retry while the first request with its Idempotency-Key still runs
        for code, response in error_responses(*codes).items():
            responses.setdefault(str(code), self._get_response_for_code(response, str(code), direction=direction))
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A nested `many=True` list's bounds (`max_length`, `min_length`, `allow_empty=False`) as
        `maxItems`/`minItems`: drf-spectacular reads them from validators, which such a list has not."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and isinstance(schema, dict) and schema.get("type") == "array":
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
            min_items = max(field.min_length or 0, 0 if field.allow_empty else 1)
            if min_items:
                schema["minItems"] = min_items
        return schema

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and getattr(self.view, "action", None) in getattr(self.view, "urgent_actions", ()):
            operation["x-urgent"] = True  # read (and removed) by wrap_in_envelope
        return operation


class StrictSerializerExtension(OpenApiSerializerExtension):
    """A StrictSerializer rejects unknown properties, so its request schema says so."""

    target_class = "core.api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        # drf-spectacular offers no public way to map a serializer in an extension; its own contrib
        # extensions call this one
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)  # noqa: SLF001
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class SparseOutputSerializerExtension(OpenApiSerializerExtension):
    """A SparseOutputSerializer leaves out the keys that do not apply, so none of them is required."""

    target_class = "core.api.serializers.SparseOutputSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)  # noqa: SLF001
        schema.pop("required", None)
        return schema


class ClientTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "core.oauth.authentication.ClientTokenAuthentication"
    name = ["oauth2", "bearer", "ApiKey"]

    def get_security_requirement(self, auto_schema):
        # Either way to hold a token (an OAuth2 flow, or a bearer token pasted as is), always with the key.
        return [
            {"oauth2": required_scopes(auto_schema.view) or [], "ApiKey": []},
            {"bearer": [], "ApiKey": []},
        ]

    def get_security_definition(self, auto_schema):
        from drf_spectacular.settings import spectacular_settings

        flows = {
            "clientCredentials": {
                "tokenUrl": spectacular_settings.OAUTH2_TOKEN_URL,
                "scopes": spectacular_settings.OAUTH2_SCOPES,
            },
            "authorizationCode": {
                "authorizationUrl": spectacular_settings.OAUTH2_AUTHORIZATION_URL,
                "tokenUrl": spectacular_settings.OAUTH2_TOKEN_URL,
                "scopes": spectacular_settings.OAUTH2_SCOPES,
            },
        }
        return [
            {"type": "oauth2", "flows": flows},
            {
                "type": "http",
                "scheme": "bearer",
                "description": "An access token from `/oauth/token/`, `issue_token` or `seed_demo`, pasted as is.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "Api-key",
                "description": "The API key printed once by `create_client`; it must belong to the token's client.",
            },
        ]


META_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "integer", "example": 200},
        "url": {"type": "string", "format": "uri"},
        "type": {"type": "string", "enum": ["object", "list"]},
        "request_id": {"type": "string"},
    },
    "required": ["code", "url", "type", "request_id"],
}
PAGING_SCHEMA = {
    "type": "object",
    "properties": {name: {"type": "integer"} for name in ("page_number", "page_size", "total_entries", "total_pages")},
}
URGENT_SCHEMA = {
    "type": "object",
    "description": "Present where a flow needs the client to act, e.g. `documents` to upload",
    "additionalProperties": True,
}


def wrap_in_envelope(result, generator, request, public):
    """Post-processing hook: every JSON answer becomes `{meta, data}` or `{meta, error}`."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update({"Meta": META_SCHEMA, "Paging": PAGING_SCHEMA, "Urgent": URGENT_SCHEMA})
    meta_ref = {"$ref": "#/components/schemas/Meta"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            has_urgent = operation.pop("x-urgent", False)
            for response in operation.get("responses", {}).values():
                content = response.get("content", {}).get("application/json")
                if not content or "schema" not in content:
                    continue
                inner = content["schema"]
                if inner.get("$ref") == "#/components/schemas/Error":
                    content["schema"] = {
                        "type": "object",
                        "properties": {"meta": meta_ref, "error": inner},
                        "required": ["meta", "error"],
                    }
                    continue
                properties = {"meta": meta_ref, "data": inner}
                if has_urgent:
                    properties["urgent"] = {"$ref": "#/components/schemas/Urgent"}
                if inner.get("type") == "array":
                    properties["paging"] = {"$ref": "#/components/schemas/Paging"}
                content["schema"] = {"type": "object", "properties": properties, "required": ["meta", "data"]}
    return result
