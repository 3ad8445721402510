"""OpenAPI details drf-spectacular cannot infer: the token scheme, and the error answers every operation gives."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Why the request was refused (DRF's own shape)."""

    detail = serializers.CharField()


OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": {}}
OBJECTS: dict[str, Any] = {"type": "array", "items": OBJECT}  # a JSON array answered whole (no paging)

CONFLICT = OpenApiResponse(ErrorSerializer, description="Refused in the object's present state")
QUEUE_DOWN = OpenApiResponse(ErrorSerializer, description="The scan queue is unreachable; the scan is marked failed")

# Bad input is DRF's {"field": ["message", ...]} (or a list of messages, or {"detail": ...}).
ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "BadRequest": {
        "oneOf": [
            {"type": "object", "additionalProperties": {}},
            {"type": "array", "items": {"type": "string"}},
        ],
        "description": 'What is wrong with the input: {"<field or parameter>": ["message", ...]}.',
    },
}
ERROR_ANSWERS = {
    "400": ("BadRequest", "Bad input: an unknown or malformed parameter, cursor or body field"),
    "401": ("Error", "No valid session or API token"),
    "403": ("Error", "The role (or a read-only token) may not do this"),
    "404": ("Error", "No such object, or one of an account the user's teams may not see"),
}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "posture.access.tokens.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal API token (pst_...)"}


class PostureAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the 400/401/403 (and 404 where a path names an object) every view answers."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, (component, description) in ERROR_ANSWERS.items():
            if code == "404" and "{" not in self.path:
                continue
            ref = self._error_component(component, direction).ref
            responses.setdefault(code, {"content": {"application/json": {"schema": ref}}, "description": description})
        return responses

    def _error_component(self, name: str, direction) -> ResolvedComponent:
        if name == "Error":
            return self.resolve_serializer(ErrorSerializer, direction)
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=ERROR_SCHEMAS[name])
        self.registry.register_on_missing(component)
        return component
