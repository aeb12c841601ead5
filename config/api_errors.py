"""The public API's one error contract: `{"error": {"code", "message", "details"}}`."""

from django.http import JsonResponse
from ninja import Schema


class ApiError(Exception):
    """A refusal an endpoint raises: answered as the error contract with `status`."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def error_response(status: int, code: str, message: str, details=None,
                   headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": code, "message": message, "details": details or {}}}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class ErrorBody(Schema):
    code: str
    message: str
    details: dict


class ErrorOut(Schema):
    error: ErrorBody


# The refusals any authenticated endpoint may answer, for the OpenAPI schema.
ERRORS = dict.fromkeys((400, 401, 402, 403, 404, 409, 422, 429), ErrorOut)
