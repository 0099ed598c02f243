"""Which VPP the simulator pretends to be: its api.json, message ids and version strings."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

from .codec import Codec

HERE = Path(__file__).parent
API_DIR = HERE / "api"
LEGACY_LB = HERE / "api_legacy" / "lb.api.json"

# First message id of each module's block. memclnt's ids are fixed (1..28, definition order);
# the others are allocated at VPP start-up, so clients must never rely on these numbers.
MODULE_BASES = {"memclnt": 1, "vlib": 29, "vpe": 60, "lb": 1000}

VERSIONS = {
    "26.10": {"version": "26.10-rc0~vppsim", "legacy": False},
    "26.06": {"version": "26.06-release", "legacy": True},
}


@dataclass
class Personality:
    name: str
    version: str
    legacy: bool
    docs: List[Dict[str, Any]]
    codec: Codec
    ids: Dict[str, int]  # message name -> id
    names: Dict[int, str]  # id -> message name
    module_bases: Dict[str, int]  # "lb_ac602d7b" -> base id (get_first_msg_id)
    module_versions: List[tuple]  # (major, minor, patch, module) for api_versions
    api_json: str  # get_api_json's answer: a JSON array of every module's document
    table_entries: List[tuple]  # (id, name_crc bytes) for sockclnt_create_reply


def load(vpp_version: str) -> Personality:
    if vpp_version not in VERSIONS:
        raise ValueError("--vpp-version must be one of %s, got %r" % (", ".join(sorted(VERSIONS)), vpp_version))
    info = VERSIONS[vpp_version]
    paths = [API_DIR / "memclnt.api.json", API_DIR / "vlib.api.json", API_DIR / "vpe.api.json"]
    paths.append(LEGACY_LB if info["legacy"] else API_DIR / "lb.api.json")
    docs = [json.loads(p.read_text()) for p in paths]
    codec = Codec(json.loads(json.dumps(d)) for d in docs)
    ids: Dict[str, int] = {}
    bases: Dict[str, int] = {}
    versions = []
    for doc in docs:
        module = doc["module"]
        base = MODULE_BASES[module]
        bases["%s_%s" % (module, doc["vl_api_version"][2:])] = base
        major, minor, patch = (int(x) for x in doc["options"]["version"].split("."))
        versions.append((major, minor, patch, module))
        for offset, entry in enumerate(doc["messages"]):
            ids[entry[0]] = base + offset
    entries = [(ids[name], codec.messages[name].name_crc.encode()) for name in ids]
    return Personality(
        name=vpp_version,
        version=info["version"],
        legacy=info["legacy"],
        docs=docs,
        codec=codec,
        ids=ids,
        names={i: n for n, i in ids.items()},
        module_bases=bases,
        module_versions=versions,
        api_json="[" + ",".join(json.dumps(d, separators=(",", ":")) for d in docs) + "]",
        table_entries=entries,
    )


def frame(payload: bytes) -> bytes:
    """The 16-byte socket header (ignored u64, BE length, ignored u32) + payload."""
    return struct.pack(">QII", 0, len(payload), 0) + payload
