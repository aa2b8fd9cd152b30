"""The OpenAPI schema's word for our token authentication (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "lvc_<key id>_<secret>",
                "description": "An API token from your API tokens page."}  # fmt: skip


ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["status", "message", "fields"],
        "properties": {
            "status": {"type": "integer", "example": 409},
            "message": {"type": "string", "example": "Start is not possible while web-1 is running."},
            "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                       "example": {"name": ["A snapshot named s1 already exists on this instance."]}},
        },
    }},
}  # fmt: skip
ANSWERS = {
    "400": "The input was refused (`fields` says why per field); nothing was changed.",
    "401": "No valid session or API token (unknown, expired or revoked).",
    "403": "You, or this token, may not do this.",
    "404": "No such object, or not one you see (or no such page).",
    "409": "Not now: the object's state does not allow it, or another operation holds it.",
    "429": "This token made too many requests: see Retry-After.",
    "503": "The job queue (Redis) or its workers do not answer: nothing was queued.",
}
CHANGES_ONLY = {"400", "409", "503"}


def error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the error answers it can
    give, all in the one error shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            for code, text in ANSWERS.items():
                if code in CHANGES_ONLY and method == "get":
                    continue
                paged = any(parameter.get("name") == "page" for parameter in operation.get("parameters", []))
                if code == "404" and "{" not in path and not paged:  # a page past the last one is not found
                    continue
                operation.setdefault("responses", {}).setdefault(code, {"description": text, "content": reference})
    return result
