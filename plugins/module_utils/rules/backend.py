# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of a backend (an application server, AS, in VPP's words): its name, its address,
and the address family its VIP's encap carries (docs/config-reference.md,
docs/vpp-lb-reference.md).
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from .frontend import ENCAP_FAMILY
from .issue import Issue
from .values import check_name, read_address


def check_backend_name(value: Any) -> List[Issue]:
    return check_name(value, "name")


def read_backend_address(value: Any) -> Tuple[Any, List[Issue]]:
    """A backend's address: one IPv4 or IPv6 address, not a prefix."""
    return read_address("address", value)


def check_backend_family(address: Any, encap: str, who: Optional[str] = None) -> List[Issue]:
    """VPP checks an AS's family against the VIP's encap, not against the VIP: gre4, l3dsr
    and nat4 carry IPv4 backends, gre6 and nat6 IPv6 ones. ``who`` names the backend in the
    message (default: its address)."""
    needed = ENCAP_FAMILY[encap]
    if address.version == needed:
        return []
    shown = (
        "%s is IPv%d" % (address, address.version)
        if who is None
        else "%s is IPv%d (%s)"
        % (
            who,
            address.version,
            address,
        )
    )
    return [Issue("address", "%s but encap %s needs IPv%d backends" % (shown, encap, needed))]
