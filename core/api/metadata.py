from rest_framework.metadata import BaseMetadata


class AllowedMethodsMetadata(BaseMetadata):
    """`OPTIONS` on any route (no token needed, like a CORS preflight): the methods it answers.
    The request and response shapes are in the OpenAPI document, not here."""

    def determine_metadata(self, request, view):
        return {"methods": view.allowed_methods}
