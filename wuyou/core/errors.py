"""Domain errors raised by services; the API maps them to problem+json in one place."""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """A business rule refused the action; `field` names the input at fault, if any."""

    status = 400
    code = "domain_error"

    def __init__(self, message: str | Promise, *, field: str | None = None, errors: dict[str, str] | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.errors: dict[str, str] = dict(errors or {})
        if field and field not in self.errors:
            self.errors[field] = self.message


class ValidationFailed(DomainError):
    """Input is malformed or incomplete."""

    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    """The object does not exist, or the actor may not see it (never tell which)."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    """The actor may see the object but not perform this action on it."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The object changed under the actor (a concurrent action won) or the key is taken."""

    status = 409
    code = "conflict"


class TransitionNotAllowed(Conflict):
    """The requested state change is not allowed from the current state."""

    code = "transition_not_allowed"
