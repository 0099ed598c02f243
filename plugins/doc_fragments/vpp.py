# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared documentation of the vpp_lb_* modules' options."""

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of every module that talks to VPP (vpp.maglev.vpp).
    DOCUMENTATION = r"""
options:
  api_socket:
    description:
      - Path of VPP's binary API socket on the managed host (C(socksvr { socket-name ... }) in
        VPP's C(startup.conf)).
      - Set it once for all modules with C(module_defaults) and the C(group/vpp.maglev.vpp) action group.
    type: path
    default: /run/vpp/api.sock
  api_dir:
    description:
      - Directory of VPP's C(.api.json) definitions (searched recursively for C(memclnt), C(vpe),
        C(vlib) and C(lb)).
      - When omitted, C(/usr/share/vpp/api) is used if it exists; otherwise the definitions are
        read from VPP itself over the socket (VPP 24.06 or later).
    type: path
  timeout:
    description:
      - Seconds to wait for VPP to accept the connection and for each reply; above 0 and at most 3600.
      - Also bounds each question to maglevd where the module asks one.
    type: float
    default: 10.0
  lock_timeout:
    description:
      - Seconds to wait, 0 to 3600, for the writer lock of the VPP on O(api_socket) when another
        writer holds it; then the task fails, naming the holder's pid, and changes nothing.
      - Every writer of a VPP - these modules and maglevd - holds the lock (C(flock) on the file
        O(api_socket) with C(.lock) appended, created beside the socket) from its read of VPP to
        the end of its change, so two writers never interleave.
      - Not taken in check mode nor by modules that only read; they change nothing.
    type: float
    default: 60.0
    version_added: 1.0.0
requirements:
  - vpp_papi (the Python client shipped with VPP, C(pip install vpp_papi)) on the managed host
  - VPP with the lb plugin API 1.2.0 or later (AS weights, C(lb_conf_get), C(lb_as_v2_dump))
notes:
  - The modules run on the VPP host and talk to VPP's API socket; use C(become) when the socket
    is only accessible to root or the C(vpp) group, or when the writer lock file beside it
    cannot be created by the connecting user.
  - Every string option must be printable (no control or bidirectional-formatting characters)
    and of bounded length; integers must be numbers, not booleans. A bad value fails the task,
    naming the option, before anything is contacted.
"""

    # Options of the modules that refuse to write to VIPs a running maglevd manages.
    MAGLEVD = r"""
options:
  maglevd_socket:
    description:
      - Control socket of maglevd on the managed host.
      - When it exists and maglevd answers on it, maglevd owns the AS weights of its frontends
        and would undo a direct change on its next sync, so the module refuses to change them
        (use M(vpp.maglev.maglev_backend) instead) unless O(force=true).
      - Only a missing socket, or one nobody listens on, means that no maglevd runs. A socket
        that does not answer within O(timeout) (a hung or stopped daemon) or that cannot be
        used fails the task unless O(force=true).
    type: path
    default: /run/maglevd/maglevd.sock
  force:
    description:
      - Write to VPP even when a running maglevd manages the VIP.
    type: bool
    default: false
"""

    # Attributes every module that talks to VPP's API shares (vpp.maglev.vpp.attributes).
    ATTRIBUTES = r"""
attributes:
  platform:
    support: full
    platforms: VPP host (Linux)
    description: Runs on the VPP host and talks to VPP's API socket.
  action_group:
    support: full
    membership:
      - vpp.maglev.vpp
    description: Use C(group/vpp.maglev.vpp) in C(module_defaults) to set the connection options once.
"""
