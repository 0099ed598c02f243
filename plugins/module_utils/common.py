# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the vpp_lb_* modules share: argument specs, input parsing, the VPP session, and the
result shape (changed/before/after/diff/commands/api_calls).

Only modules import this (it uses AnsibleModule); maglevd uses vppclient directly.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
import traceback
from typing import Any, Callable, Iterable, Iterator, List, Optional

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.vpp.maglev.plugins.module_utils import maglevd_client, vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.lbstate import (
    LbState,
    VipKey,
)
from ansible_collections.vpp.maglev.plugins.module_utils.planner import Plan, PlanError
from ansible_collections.vpp.maglev.plugins.module_utils.views import conf_to_dict, vip_to_dict
from ansible_collections.vpp.maglev.plugins.module_utils.wants import ModuleInputError

__all__ = ["ModuleInputError"]

# Connection options of every module (documented once in doc_fragments/vpp.py).
CONNECTION_SPEC = {
    "api_socket": {"type": "path", "default": vppclient.DEFAULT_API_SOCKET},
    "api_dir": {"type": "path"},
    "timeout": {"type": "float", "default": 10.0},
}

# Options of the modules that refuse to write to VIPs a running maglevd manages.
MAGLEVD_SPEC = {
    "maglevd_socket": {"type": "path", "default": "/run/maglevd/maglevd.sock"},
    "force": {"type": "bool", "default": False},
}

# A VIP as the modules name it.
VIP_SPEC = {
    "vip": {"type": "str", "required": True},
    "protocol": {"type": "str", "choices": ["tcp", "udp", "any"]},
    "port": {"type": "int", "default": 0},
}


class ModuleFailure(Exception):
    """Raised inside vpp_session to fail the task with ``fields`` once stdout is restored
    (fail_json prints the result: it must not run while stdout is being captured)."""

    def __init__(self, msg: str, **fields: Any):
        super().__init__(msg)
        self.fields = dict(fields, msg=msg)


def connection_spec(**extra: dict) -> dict:
    spec = dict(CONNECTION_SPEC)
    spec.update(extra)
    return spec


def conf_view(state: LbState) -> dict:
    """before/after of vpp_lb_conf: the global conf."""
    return conf_to_dict(state.conf)


def vip_view(key: VipKey) -> Callable[[LbState], dict]:
    """before/after of the per-VIP modules: that VIP (as in vpp_lb_info), {} when absent.
    Only the VIP the task manages, so results stay small on a box with 1,000 VIPs."""

    def view(state: LbState) -> dict:
        vip = state.vips.get(key)
        return vip_to_dict(vip) if vip is not None else {}

    return view


def maglevd_managed(module: Any, keys: Iterable[VipKey]) -> List[VipKey]:
    """The VIPs among ``keys`` that a running maglevd manages (its frontends' VIPs).

    No socket, or nothing answering on it: no maglevd, nothing managed. A maglevd that answers
    but cannot list its frontends protects every VIP: refusing is the safe way to be wrong."""
    keys = list(keys)
    socket_path = module.params.get("maglevd_socket")
    if not keys or not socket_path or not os.path.exists(socket_path):
        return []
    try:
        frontends = maglevd_client.MaglevdClient(socket_path, timeout=5).frontends()
    except maglevd_client.MaglevdUnavailable:
        return []
    except maglevd_client.MaglevdError:
        return keys
    managed = set()
    for frontend in frontends:
        try:
            managed.add(VipKey.make(frontend["address"], frontend["protocol"], int(frontend["port"])))
        except (KeyError, TypeError, ValueError):
            return keys
    return [key for key in keys if key in managed]


def refuse_if_maglevd(module: Any, keys: Iterable[VipKey]) -> None:
    """Raise ModuleFailure when a running maglevd manages one of ``keys`` (unless force)."""
    if module.params.get("force"):
        return
    managed = maglevd_managed(module, keys)
    if managed:
        raise ModuleFailure(
            "vip %s is managed by the maglevd running on %s, which would undo this change on its next "
            "sync; use vpp.maglev.maglev_backend (or change maglev.yaml), or set force: true"
            % (", ".join(str(key) for key in managed), module.params.get("maglevd_socket"))
        )


@contextlib.contextmanager
def vpp_session(module: Any) -> Iterator[vppclient.VppClient]:
    """A connected VppClient; every failure becomes fail_json, and anything vpp_papi prints
    to stdout (e.g. 'REPLY MISMATCH') is captured so it cannot corrupt the module's JSON."""
    captured = io.StringIO()
    params = module.params
    # vpp_papi would take a timeout of 0 or below and fail later with a message about its
    # reader thread; say what is wrong with the option instead.
    if not params["timeout"] > 0:
        module.fail_json(
            msg="timeout: %s is not allowed; give the seconds to wait for VPP, above 0" % params["timeout"]
        )
    failure: Optional[dict] = None
    try:
        with contextlib.redirect_stdout(captured):
            try:
                with vppclient.connect(
                    params["api_socket"], api_dir=params.get("api_dir"), timeout=params["timeout"]
                ) as vpp:
                    yield vpp
            except vppclient.MissingLibrary as exc:
                failure = {"msg": missing_required_lib("vpp_papi"), "exception": str(exc.error)}
            except vppclient.VppApplyError as exc:
                failure = {"msg": str(exc)}
                failure.update(exc.to_dict())
            except vppclient.VppError as exc:
                failure = {"msg": str(exc)}
            except (PlanError, ModuleInputError) as exc:
                failure = {"msg": str(exc)}
            except ModuleFailure as exc:
                failure = exc.fields
            except Exception as exc:  # a module must answer JSON, not a traceback
                failure = {"msg": "unexpected error talking to VPP: %r" % exc, "exception": traceback.format_exc()}
    finally:
        printed = captured.getvalue().strip()
        if printed:
            module.warn("vpp_papi printed: %s" % printed[:2000])
    if failure is not None:
        module.fail_json(**failure)


def fail_on_input_errors(module: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``function``; a ModuleInputError/PlanError becomes fail_json (before VPP is touched)."""
    try:
        return function(*args, **kwargs)
    except (ModuleInputError, PlanError) as exc:
        module.fail_json(msg=str(exc))
    except Exception:  # never a bare traceback to the operator
        module.fail_json(msg="internal error while validating the input", exception=traceback.format_exc())


def run_plan(
    module: Any,
    vpp: vppclient.VppClient,
    plan: Plan,
    view: Callable[[LbState], dict],
    reread: Optional[Callable[[], LbState]] = None,
) -> dict:
    """Apply (or, in check mode, predict) ``plan`` and build the common result (call it
    inside vpp_session: a failed apply raises ModuleFailure).

    ``after`` is plan.after in check mode and a fresh read after applying otherwise, so a
    test can compare the two."""
    result: dict = {
        "changed": bool(plan),
        "before": view(plan.before),
        "commands": plan.commands(),
        "api_calls": plan.api_calls(),
        "recreated": bool(plan.recreated),
        "recreate_reasons": sorted({reason for reasons in plan.recreated.values() for reason in reasons}),
        "summary": plan.summary(),
    }
    if module._diff:
        result["diff"] = plan.diff()
    if not plan or module.check_mode:
        result["after"] = view(plan.after)
        return result
    try:
        vpp.apply(plan)
    except vppclient.VppApplyError as exc:
        failure = dict(result)
        failure.update(exc.to_dict())
        failure["changed"] = bool(exc.applied) or exc.dropped  # an op in doubt may have taken effect
        raise ModuleFailure(str(exc), **failure)
    result["after"] = view((reread or vpp.read_state)())
    return result


def wait_for_backend(
    vpp: vppclient.VppClient,
    key: VipKey,
    address: Any,
    weight: Optional[int],
    timeout: float,
    drain_time: float = 0.0,
    *,
    interval: float = 0.2,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Poll VPP until it reports the AS as wanted, then wait ``drain_time`` seconds.

    What VPP can show: the AS's weight and ``num_buckets`` (its share of the new-flow table)
    from lb_as_v2_dump. There is no per-AS count of established flows in the API, so for a
    drain (weight 0) this confirms that no new flow can reach the AS (0 buckets), and
    ``drain_time`` (e.g. the flow timeout) gives established flows time to finish or age out.
    ``weight`` None means the AS must be gone."""
    start = clock()
    while True:
        state, buckets = vpp.read_state_with_buckets()
        vip = state.vips.get(key)
        got = vip.ases.get(address) if vip is not None else None
        share = buckets.get(key, {}).get(address)
        if weight is None:
            confirmed = got is None
        elif weight == 0:
            confirmed = got == 0 and share == 0
        else:
            confirmed = got == weight
        elapsed = clock() - start
        if confirmed:
            break
        if elapsed >= timeout:
            raise ModuleFailure(
                "wait_timeout: after %.1fs VPP reports backend %s of vip %s with weight %s and %s new-flow buckets; "
                "wanted %s" % (elapsed, address, key, got, share, "it gone" if weight is None else "weight %d" % weight)
            )
        sleep(interval)
    if drain_time > 0:
        sleep(drain_time)
    return {
        "confirmed": True,
        "weight": got,
        "num_buckets": share,
        "elapsed": round(clock() - start, 3),
        "drain_time": drain_time,
    }
