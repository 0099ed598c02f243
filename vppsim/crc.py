"""vppapigen's message CRC, re-implemented from the .api.json (docs/vpp-lb-reference.md#message-crcs).

Used by the tests to prove that every CRC in our api/*.api.json is the one VPP announces,
and by nothing at run time (the server serves the CRCs written in the JSON).
"""

from __future__ import annotations

import zlib
from typing import Any, Dict, List


def _render_fields(fields: List[list]) -> str:
    rendered = []
    for field in fields:
        plain = [item for item in field if not isinstance(item, dict)]
        if len(plain) == 2:
            rendered.append([plain[0], plain[1]])
        else:
            length = plain[2]
            lengthfield = plain[3] if len(plain) > 3 else None
            rendered.append([plain[0], plain[1], length, lengthfield])
    return repr(rendered)


def _fields(entry: list) -> List[list]:
    """The field lists of a JSON message/type entry (name first, trailing dict of options)."""
    return [item for item in entry[1:] if isinstance(item, list)]


class CrcCalculator:
    """Computes message CRCs over the types of one or more api.json documents."""

    def __init__(self, *apis: Dict[str, Any]) -> None:
        self.types: Dict[str, tuple] = {}
        for api in apis:
            for kind in ("types", "unions"):
                for entry in api.get(kind, []):
                    self.types["vl_api_%s_t" % entry[0]] = ("fields", _fields(entry))
            for kind in ("enums", "enumflags"):
                for entry in api.get(kind, []):
                    members = [item for item in entry[1:] if isinstance(item, list)]
                    self.types["vl_api_%s_t" % entry[0]] = ("enum", members)
            for name in api.get("aliases", {}):
                self.types["vl_api_%s_t" % name] = ("alias", None)

    def _fold(self, fields: List[list], crc: int) -> int:
        for field in fields:
            ftype = field[0]
            if not ftype.startswith("vl_api_"):
                continue
            kind, data = self.types[ftype]
            if kind == "alias":
                crc = zlib.crc32(b"[]", crc)
            elif kind == "enum":
                crc = zlib.crc32(repr([list(m) for m in data]).encode(), crc)
            else:
                crc = zlib.crc32(_render_fields(data).encode(), crc)
                crc = self._fold(data, crc)
        return crc

    def message_crc(self, entry: list) -> int:
        fields = [f for f in _fields(entry) if f[1] != "_vl_msg_id"]
        crc = zlib.crc32(_render_fields(fields).encode())
        return self._fold(fields, crc) & 0xFFFFFFFF
