"""gunicorn's logger for `wuyou serve`: the access and error logs mask phones and secrets (issue 12 item 9).

gunicorn writes its access log itself, outside Django's LOGGING: the request line carries the query string
(`/api/v1/lookup?phone=…`, the console search `?q=…`), and headers may carry tokens. `wuyou serve` passes
`--logger-class wuyou.core.gunicorn_logger.MaskingLogger`; every atom is masked before the line is formatted, and
every handler of both logs gets wuyou.core.logmasking.SensitiveDataFilter.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from wuyou.core.logmasking import HIDDEN, SensitiveDataFilter, mask_text

# Headers (`{name}i`, `{name}o`) and environ entries (`{name}e`) whose whole value is a credential: never written,
# whatever the access log format asks for.
SECRET_HEADER_WORDS = ("authorization", "cookie", "api-key", "api_key", "token", "secret")


class MaskingLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn's Logger with masked atoms and a masking filter on every handler."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, SensitiveDataFilter) for f in handler.filters):
                    handler.addFilter(SensitiveDataFilter())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if name.startswith("{") and any(word in name for word in SECRET_HEADER_WORDS):
                atoms[name] = HIDDEN
            elif isinstance(value, str):
                atoms[name] = mask_text(value)
        return atoms
