"""A small JSON client for API tests: logs in as a staff member or sends an API token."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from wuyou.accounts.models import StaffProfile

PREFIX = "/api/v1"


class ApiClient:
    """Calls /api/v1/… as one caller and decodes JSON answers."""

    def __init__(
        self,
        *,
        staff: StaffProfile | None = None,
        user: Any = None,
        token: str | None = None,
        api_key: str | None = None,
    ):
        self.client = Client()
        self.headers: dict[str, str] = {}
        if staff is not None:
            user = staff.user
        if user is not None:
            self.client.force_login(user)
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        if api_key is not None:
            self.headers["X-API-Key"] = api_key

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        """GET a path under /api/v1."""
        return self.client.get(PREFIX + path, params or {}, headers={**self.headers, **headers})

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        **headers: str,
    ) -> Any:
        """POST JSON (or raw bytes) to a path under /api/v1."""
        data = raw if raw is not None else json.dumps(body if body is not None else {}, ensure_ascii=False)
        return self.client.post(
            PREFIX + path, data=data, content_type=content_type, headers={**self.headers, **headers}
        )

    def send(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        """Any verb with a JSON body to a path under /api/v1."""
        return getattr(self.client, method.lower())(
            PREFIX + path,
            data=json.dumps(body if body is not None else {}, ensure_ascii=False),
            content_type="application/json",
            headers={**self.headers, **headers},
        )


def fields_of(response: Any) -> set[str]:
    """The field names a problem+json answer blames."""
    return {e["field"] for e in response.json().get("errors", [])}
