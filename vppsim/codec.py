"""A small, fast codec for the messages our api/*.api.json define.

Each message is compiled once into one ``struct.Struct`` over its fixed-size part (nested
typedefs flattened, unions and byte aliases kept as raw bytes) plus at most one trailing
variable-length field (a ``string x[]`` or an array sized by an earlier count field). Decoding
yields nested dicts of plain values; addresses stay raw bytes so the lb handlers can apply
VPP's byte-level quirks. This codec is independent of vpp_papi's serializer on purpose: the
golden byte tests compare the two, so a symmetric bug cannot hide.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

SCALARS = {
    "u8": "B",
    "i8": "b",
    "u16": "H",
    "i16": "h",
    "u32": "I",
    "i32": "i",
    "u64": "Q",
    "i64": "q",
    "f64": "d",
    "bool": "B",
}


@dataclass
class _Flat:
    """The flattened fixed part of a message or type: struct codes and where each value goes."""

    codes: List[str] = field(default_factory=list)
    paths: List[Tuple[Tuple[str, ...], str]] = field(default_factory=list)  # (path, kind)


@dataclass
class MessageDef:
    name: str
    crc: str
    fields: List[list]
    struct: struct.Struct
    paths: List[Tuple[Tuple[str, ...], str]]
    tail: Optional[tuple]  # ("string", name) or ("array", name, count_field, element codec)
    defaults: Dict[str, Any]

    @property
    def name_crc(self) -> str:
        return "%s_%s" % (self.name, self.crc[2:])

    def decode(self, buf: bytes) -> Optional[Dict[str, Any]]:
        """The message as nested dicts, or None when it is shorter than its definition."""
        size = self.struct.size
        if len(buf) < size:
            return None
        values = self.struct.unpack_from(buf, 0)
        out: Dict[str, Any] = {}
        for value, (path, kind) in zip(values, self.paths):
            if kind == "string":
                value = value.split(b"\x00", 1)[0].decode("utf-8", "replace")
            target = out
            for part in path[:-1]:
                target = target.setdefault(part, {})
            target[path[-1]] = value
        if self.tail is not None:
            if self.tail[0] == "string":
                if len(buf) < size + 4:
                    return None
                (length,) = struct.unpack_from(">I", buf, size)
                if len(buf) < size + 4 + length:
                    return None
                out[self.tail[1]] = bytes(buf[size + 4 : size + 4 + length]).decode("utf-8", "replace")
            else:
                count = out.get(self.tail[2], 0)
                element: struct.Struct = self.tail[3]
                end = size + element.size * count
                if len(buf) < end:
                    return None
                out[self.tail[1]] = [element.unpack_from(buf, size + i * element.size) for i in range(count)]
        return out

    def encode(self, values: Dict[str, Any]) -> bytes:
        """Pack a (possibly partial) dict; missing fields take the JSON default or zero."""
        flat = []
        for path, kind in self.paths:
            value: Any = values
            for part in path:
                value = value.get(part) if isinstance(value, dict) else None
                if value is None:
                    break
            if value is None:
                value = self.defaults.get(path[0]) if len(path) == 1 else None
            if value is None:
                value = b"" if kind in ("bytes", "string") else 0
            elif kind == "string" and isinstance(value, str):
                value = value.encode()
            flat.append(value)
        head = self.struct.pack(*flat)
        if self.tail is None:
            return head
        if self.tail[0] == "string":
            data = values.get(self.tail[1], "")
            data = data.encode() if isinstance(data, str) else bytes(data)
            return head + struct.pack(">I", len(data)) + data
        element: struct.Struct = self.tail[3]
        return head + b"".join(element.pack(*item) for item in values.get(self.tail[1], ()))


class Codec:
    """Every message of a set of api.json documents, by name."""

    def __init__(self, apis: Iterable[Dict[str, Any]]) -> None:
        self.apis = list(apis)
        self.types: Dict[str, tuple] = {}
        for api in self.apis:
            for entry in api.get("enums", []) + api.get("enumflags", []):
                opts = entry[-1] if isinstance(entry[-1], dict) else {}
                self.types["vl_api_%s_t" % entry[0]] = ("scalar", SCALARS[opts.get("enumtype", "u32")])
            for name, alias in api.get("aliases", {}).items():
                self.types["vl_api_%s_t" % name] = ("alias", alias)
            for entry in api.get("types", []):
                self.types["vl_api_%s_t" % entry[0]] = ("struct", [f for f in entry[1:] if isinstance(f, list)])
            for entry in api.get("unions", []):
                self.types["vl_api_%s_t" % entry[0]] = ("union", [f for f in entry[1:] if isinstance(f, list)])
        self.messages: Dict[str, MessageDef] = {}
        for api in self.apis:
            for entry in api.get("messages", []):
                self.messages[entry[0]] = self._compile(entry)

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> Codec:
        return cls(json.loads(Path(p).read_text()) for p in paths)

    def _size(self, ftype: str) -> int:
        flat = _Flat()
        self._flatten([[ftype, "x"]], (), flat)
        return struct.calcsize(">" + "".join(flat.codes))

    def _flatten(self, fields: List[list], prefix: Tuple[str, ...], flat: _Flat) -> Optional[list]:
        """Append the fixed fields to ``flat``; return the trailing variable field, if any."""
        for index, fdef in enumerate(fields):
            plain = [x for x in fdef if not isinstance(x, dict)]
            ftype, name = plain[0], plain[1]
            path = (*prefix, name)
            if len(plain) > 2:  # array or string
                length = plain[2]
                if length == 0 or (len(plain) > 3 and plain[3]):
                    if index != len(fields) - 1:
                        raise ValueError("variable-length field %s is not last" % name)
                    return fdef
                if ftype == "string":
                    flat.codes.append("%ds" % length)
                    flat.paths.append((path, "string"))
                elif ftype == "u8":
                    flat.codes.append("%ds" % length)
                    flat.paths.append((path, "bytes"))
                else:
                    for i in range(length):
                        self._flatten([[ftype, str(i)]], path, flat)
                continue
            if ftype in SCALARS:
                flat.codes.append(SCALARS[ftype])
                flat.paths.append((path, "int"))
                continue
            kind, data = self.types[ftype]
            if kind == "scalar":
                flat.codes.append(data)
                flat.paths.append((path, "int"))
            elif kind == "alias":
                if "length" in data:
                    self._flatten([[data["type"], name, data["length"]]], prefix, flat)
                else:
                    self._flatten([[data["type"], name]], prefix, flat)
            elif kind == "union":
                size = max(self._size(f[0]) for f in data)
                flat.codes.append("%ds" % size)
                flat.paths.append((path, "bytes"))
            else:
                tail = self._flatten(data, path, flat)
                if tail is not None:
                    raise ValueError("variable-length field inside type %s" % ftype)
        return None

    def _compile(self, entry: list) -> MessageDef:
        name = entry[0]
        fields = [f for f in entry[1:] if isinstance(f, list)]
        meta = entry[-1] if isinstance(entry[-1], dict) else {}
        flat = _Flat()
        tail_def = self._flatten(fields, (), flat)
        tail = None
        if tail_def is not None:
            plain = [x for x in tail_def if not isinstance(x, dict)]
            if plain[0] == "string":
                tail = ("string", plain[1])
            else:
                element = _Flat()
                self._flatten([[plain[0], "e"]], (), element)
                tail = ("array", plain[1], plain[3], struct.Struct(">" + "".join(element.codes)))
        defaults = {}
        for fdef in fields:
            for item in fdef:
                if isinstance(item, dict) and "default" in item:
                    defaults[fdef[1]] = item["default"]
        return MessageDef(
            name=name,
            crc=meta.get("crc", "0x00000000"),
            fields=fields,
            struct=struct.Struct(">" + "".join(flat.codes)),
            paths=flat.paths,
            tail=tail,
            defaults=defaults,
        )
