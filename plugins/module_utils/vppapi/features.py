# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Feature detection: which lb messages this VPP offers, its version, its lb.api version.

vpp.maglev needs lb.api 1.2.0 (VPP master, expected in 26.10): AS weights, the conf
read-back and the v2 AS dump. An older VPP, or one without the lb plugin, gets a
VppFeatureError that names what is missing (docs/modules.md).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppFeatureError, VppReadError

REQUIRED_LB_API = "1.2.0"
REQUIRED_MESSAGES = (
    "lb_conf",
    "lb_conf_get",
    "lb_add_del_vip_v2",
    "lb_add_del_as_v2",
    "lb_as_set_weight",
    "lb_flush_vip",
    "lb_vip_dump",
    "lb_as_v2_dump",
)


def show_version(connection: Any) -> dict:
    """show_version as a dict (empty when VPP or the definitions lack it)."""
    if not hasattr(connection.api, "show_version"):
        return {}
    reply = connection.checked("show_version")
    return {
        "program": reply.program,
        "version": reply.version,
        "build_date": reply.build_date,
        "build_directory": reply.build_directory,
    }


def check_features(connection: Any, version: Callable[[], dict]) -> None:
    """Raise VppFeatureError when a REQUIRED_MESSAGES entry is missing; ``version`` gives
    show_version's dict for the message (asked only then)."""
    missing = [name for name in REQUIRED_MESSAGES if not hasattr(connection.api, name)]
    if not missing:
        return
    vpp_version = version().get("version", "unknown")
    lb_file_version = connection.lb_file_version
    found = {"vpp_version": vpp_version, "lb_api_version_in_api_dir": lb_file_version}
    if "lb_vip_dump" in missing:
        what = "VPP %s on %s has no lb plugin API (lb_plugin.so not loaded?)" % (vpp_version, connection.api_socket)
    else:
        what = "VPP %s on %s offers lb API without %s" % (vpp_version, connection.api_socket, ", ".join(missing))
    if lb_file_version and lb_file_version != REQUIRED_LB_API:
        what += "; the lb.api.json under api_dir %s is version %s" % (connection.api_dir, lb_file_version)
    raise VppFeatureError(
        "%s. vpp.maglev needs lb.api %s or newer (VPP 26.10 / master with AS weights: lb_as_set_weight, "
        "lb_conf_get, lb_as_v2_dump)" % (what, REQUIRED_LB_API),
        found=found,
        missing=missing,
    )


def lb_api_version(connection: Any) -> str:
    """The lb.api version: from api_dir's lb.api.json, else from VPP's own definitions."""
    if connection.lb_file_version:
        return connection.lb_file_version
    api = connection.api
    if hasattr(api, "get_api_json"):
        try:
            modules = json.loads(connection.checked("get_api_json").json)
        except (ValueError, VppReadError):
            modules = []
        for module in modules:
            if module.get("module") == "lb" or any(m[0] == "lb_conf" for m in module.get("messages", [])):
                return module.get("options", {}).get("version", "unknown")
    return REQUIRED_LB_API if all(hasattr(api, n) for n in REQUIRED_MESSAGES) else "unknown"
