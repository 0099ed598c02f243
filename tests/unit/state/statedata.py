"""A small maglev.yaml structure shared by the state unit tests."""

from __future__ import annotations

CONFIG = {
    "maglev": {
        "vpp": {"lb": {"ipv4-src-address": "192.0.2.254"}},
        "backends": {
            "a": {"address": "10.0.0.1"},
            "b": {"address": "10.0.0.2", "enabled": False},
            "c": {"address": "10.0.0.3"},
        },
        "frontends": {
            "web": {
                "address": "192.0.2.10",
                "protocol": "tcp",
                "port": 80,
                "pools": [
                    {"name": "primary", "backends": {"a": {}, "b": {}}},
                    {"name": "backup", "backends": {"c": {"weight": 40}}},
                ],
            }
        },
    }
}
