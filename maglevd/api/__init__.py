"""maglevd's control API (docs/api.md): server.py (listeners, the app), routes.py (resources),
event_stream.py (/v1/events), http.py (errors, middlewares, parsing), control_target.py (the
interface the API needs from the daemon)."""

from .control_target import ControlTarget
from .http import ApiError, decode_json, error_response, json_response
from .server import ControlApi, bind_unix_socket

__all__ = [
    "ApiError",
    "ControlApi",
    "ControlTarget",
    "bind_unix_socket",
    "decode_json",
    "error_response",
    "json_response",
]
