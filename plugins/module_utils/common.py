# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules share: how a module runs and fails (run_module, ModuleFailure), argument
specs and option ranges, the maglevd guard, the VPP session, and the result shape
(changed/before/after/diff/commands/api_calls). docs/modules.md describes it.

Only modules import this (it uses AnsibleModule); maglevd uses vppclient directly.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
import traceback
from typing import Any, Callable, Iterable, Iterator, List, Mapping, NoReturn, Optional, Tuple, Type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.vpp.maglev.plugins.module_utils import maglevd_client, vpp_errors, vppclient, writer_lock
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbState, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.module_input import (
    ModuleInputError,
    Rule,
    check_params,
    missing_rules,
)
from ansible_collections.vpp.maglev.plugins.module_utils.planner import Plan, PlanError
from ansible_collections.vpp.maglev.plugins.module_utils.rules.frontend import MAX_PORT
from ansible_collections.vpp.maglev.plugins.module_utils.views import conf_to_dict, vip_to_dict
from ansible_collections.vpp.maglev.plugins.module_utils.weights import MAX_WEIGHT

__all__ = ["ModuleInputError"]

# Connection options of every module (documented once in doc_fragments/vpp.py).
CONNECTION_SPEC = {
    "api_socket": {"type": "path", "default": vppclient.DEFAULT_API_SOCKET},
    "api_dir": {"type": "path"},
    "timeout": {"type": "float", "default": 10.0},
    "lock_timeout": {"type": "float", "default": writer_lock.DEFAULT_LOCK_TIMEOUT},
}
# Above it a wait is a hang, and vpp_papi's reader overflows (1e308 raised OverflowError).
MAX_TIMEOUT = 3600.0
MAX_WAIT = 86400.0  # wait_timeout, drain_time: a day
CONNECTION_RULES = {
    "timeout": Rule(0, MAX_TIMEOUT, low_open=True, hint="seconds to wait for VPP"),
    "lock_timeout": Rule(0, writer_lock.MAX_LOCK_TIMEOUT, hint="seconds to wait for another writer of this VPP"),
}
WEIGHT_RULE = Rule(0, MAX_WEIGHT)
PORT_RULE = Rule(0, MAX_PORT, hint="0 = all ports")
WAIT_RULE = Rule(0, MAX_WAIT, hint="seconds")

# Options of the modules that refuse to write to VIPs a running maglevd manages.
MAGLEVD_SPEC = {
    "maglevd_socket": {"type": "path", "default": maglevd_client.DEFAULT_SOCKET},
    "force": {"type": "bool", "default": False},
}

# A VIP as the modules name it.
VIP_SPEC = {
    "vip": {"type": "str", "required": True},
    "protocol": {"type": "str", "choices": ["tcp", "udp", "any"]},
    "port": {"type": "int", "default": 0},
}


class ModuleFailure(Exception):
    """The one way a module fails: raised anywhere in a module's task, turned into fail_json
    by run_module with ``fields`` (the message, and the partial-apply report where there is
    one). Raised, not failed on the spot, so that fail_json never runs while vpp_session
    captures stdout (fail_json prints the result)."""

    def __init__(self, msg: str, **fields: Any):
        super().__init__(msg)
        self.fields = dict(fields, msg=msg)


def connection_spec(**extra: dict) -> dict:
    spec = dict(CONNECTION_SPEC)
    spec.update(extra)
    return spec


def run_module(rules: Mapping[str, Rule], task: Callable[[AnsibleModule], dict], **kwargs: Any) -> NoReturn:
    """Run a module: build AnsibleModule(**kwargs), check its parameters against ``rules``
    (on top of CONNECTION_RULES), then exit_json with ``task(module)``. A ModuleFailure from
    the checks or the task becomes fail_json. Every module runs here, so none skips the
    checks and none fails another way."""
    module = AnsibleModule(**kwargs)
    try:
        check_module_input(module, rules)
        result = task(module)
    except ModuleFailure as exc:
        module.fail_json(**exc.fields)
    module.exit_json(**result)


def check_module_input(module: Any, rules: Mapping[str, Rule]) -> None:
    """module_input's checks of ``module.params``; raises ModuleFailure naming the option."""
    spec = module.argument_spec
    every = dict(CONNECTION_RULES)
    every.update(rules)
    missing = missing_rules(spec, every)
    if missing:
        raise ModuleFailure("internal error: no allowed range declared for %s" % ", ".join(missing))
    with input_errors():
        check_params(spec, module.params, every)


# What the input layers raise for a bad value: the message names the option.
INPUT_ERRORS: Tuple[Type[Exception], ...] = (ModuleInputError, PlanError)


@contextlib.contextmanager
def input_errors() -> Iterator[None]:
    """Turn an input error (INPUT_ERRORS) raised while reading the task's input, before VPP
    or maglevd is touched, into ModuleFailure with its message; any other error into an
    internal error with its traceback (never a bare traceback to the operator)."""
    try:
        yield
    except ModuleFailure:
        raise
    except INPUT_ERRORS as exc:
        raise ModuleFailure(str(exc)) from None
    except Exception:
        raise ModuleFailure("internal error while validating the input", exception=traceback.format_exc()) from None


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

    Only proof that no maglevd runs - no socket file, or nobody listening on it - means
    nothing is managed. A socket that does not answer within ``timeout`` (a hung or stopped
    daemon), or that we may not use, fails the task: a guard must not fail open. A maglevd
    that answers but cannot list its frontends protects every VIP."""
    keys = list(keys)
    socket_path = module.params.get("maglevd_socket")
    if not keys or not socket_path or not os.path.lexists(socket_path):
        return []
    try:
        frontends = maglevd_client.MaglevdClient(socket_path, timeout=module.params["timeout"]).frontends()
    except maglevd_client.MaglevdNotRunning:
        return []
    except maglevd_client.MaglevdUnavailable as exc:
        # e.g. "maglevd at S is not answering: no reply within 10.0s"
        raise ModuleFailure(
            "%s; whether it manages vip %s is unknown, so nothing was changed; pass force: true to write anyway"
            % (exc, ", ".join(str(key) for key in keys))
        )
    except maglevd_client.MaglevdError:
        return keys
    if not isinstance(frontends, list):
        return keys
    managed = set()
    for frontend in frontends:
        try:
            managed.add(VipKey.make(frontend["address"], frontend["protocol"], int(frontend["port"])))
        except (KeyError, TypeError, ValueError):
            return keys
    return [key for key in keys if key in managed]


def refuse_assume_up_if_maglevd(module: Any, keys: Iterable[VipKey]) -> None:
    """vpp_lb_state: raise ModuleFailure when ``health: assume_up`` would write weights of VIPs
    a running maglevd manages (unless force). Its weights follow live health; assumed health
    would reset every one of them, and the daemon would then fight the task."""
    params = module.params
    if params.get("force") or params.get("health") != "assume_up":
        return
    managed = maglevd_managed(module, keys)
    if managed:
        raise ModuleFailure(
            "health: assume_up would overwrite the weights that the maglevd running on %s sets from live health "
            "for vip %s; use health: maglevd (plan with the daemon's backend states), or set force: true"
            % (params.get("maglevd_socket"), ", ".join(str(key) for key in managed))
        )


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
def vpp_session(module: Any, *, writes: bool = True) -> Iterator[vppclient.VppClient]:
    """A connected VppClient; every failure is raised as ModuleFailure once stdout is
    restored, and anything vpp_papi prints to stdout (e.g. 'REPLY MISMATCH') is captured so
    it cannot corrupt the module's JSON.

    A session that ``writes`` (outside check mode) holds the VPP's writer lock from before
    the read to after the apply, so that read -> plan -> apply is one step for every other
    writer (the modules and maglevd). Readers (``writes=False``, check mode) take no lock:
    they change nothing, so they cannot interleave with a writer, and a scheduled drift check
    must never delay maglevd's failover."""
    captured = io.StringIO()
    params = module.params
    failure: Optional[ModuleFailure] = None
    try:
        with contextlib.redirect_stdout(captured):
            try:
                with (
                    vppclient.connect(
                        params["api_socket"], api_dir=params.get("api_dir"), timeout=params["timeout"]
                    ) as vpp,
                    _writer_lock(module, writes),
                ):
                    yield vpp
            except Exception as exc:  # a module must answer JSON, not a traceback
                failure = session_failure(exc)
    finally:
        printed = captured.getvalue().strip()
        if printed:
            module.warn("vpp_papi printed: %s" % printed[:2000])
    if failure is not None:
        raise failure


def session_failure(exc: Exception) -> ModuleFailure:
    """The ModuleFailure for ``exc`` raised while talking to VPP."""
    if isinstance(exc, ModuleFailure):
        return exc
    if isinstance(exc, vpp_errors.MissingLibrary):
        return ModuleFailure(missing_required_lib("vpp_papi"), exception=str(exc.error))
    if isinstance(exc, vpp_errors.VppApplyError):
        return ModuleFailure(str(exc), **exc.to_dict())
    if isinstance(exc, (vpp_errors.VppError,) + INPUT_ERRORS):
        return ModuleFailure(str(exc))
    return ModuleFailure("unexpected error talking to VPP: %r" % exc, exception=traceback.format_exc())


def _writer_lock(module: Any, writes: bool) -> Any:
    if not writes or module.check_mode:
        return contextlib.nullcontext()
    owner = str(getattr(module, "_name", "") or "ansible").rsplit(".", 1)[-1]
    return writer_lock.hold(module.params["api_socket"], module.params["lock_timeout"], owner=owner)


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
    except vpp_errors.VppApplyError as exc:
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
