"""Golden configs: what valid files turn into, defaults included."""

from __future__ import annotations

import pathlib
from ipaddress import ip_address, ip_network

from ansible_collections.vpp.maglev.plugins.module_utils import config
from ansible_collections.vpp.maglev.plugins.module_utils.config_model import (
    Backend,
    Config,
    Frontend,
    HealthCheck,
    HealthCheckerSettings,
    HttpParams,
    Pool,
    PoolMember,
    TcpParams,
    VppLbSettings,
)
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbConf, VipAttrs, VipKey
from ansible_collections.vpp.maglev.tests.helpers.paths import ROOT

FILES = pathlib.Path(__file__).parent / "files"
EXAMPLE = ROOT / "examples" / "maglev.yaml"


def test_minimal_config_gets_every_default():
    assert config.load_file(str(FILES / "minimal.yaml")) == Config(
        healthchecker=HealthCheckerSettings(transition_history=5, netns=None),
        vpp_lb=VppLbSettings(
            ipv4_src_address=ip_address("192.0.2.1"),
            ipv6_src_address=None,
            sticky_buckets_per_core=65536,
            flow_timeout=40.0,
            sync_interval=30.0,
            startup_min_delay=5.0,
            startup_max_delay=30.0,
        ),
        healthchecks={},
        backends={"web1": Backend(name="web1", address=ip_address("10.0.0.1"), healthcheck=None, enabled=True)},
        frontends={
            "web": Frontend(
                name="web",
                address=ip_network("192.0.2.10/32"),
                protocol=6,
                port=80,
                pools=(Pool(name="main", members=(PoolMember(backend="web1", weight=100),)),),
                description="",
                attrs=VipAttrs(
                    encap="gre4",
                    dscp=0,
                    srv_type="clusterip",
                    target_port=0,
                    new_flows_table_length=1024,
                    src_ip_sticky=False,
                ),
                flush_on_down=True,
            )
        },
    )


def test_a_maglev_section_with_only_defaults_is_an_empty_config():
    assert config.load_text("maglev:\n  frontends: {}\n") == Config()
    assert config.parse({"maglev": {"vpp": {}}}) == Config()


def test_full_config_sets_every_key():
    cfg = config.load_file(str(FILES / "full.yaml"))
    assert cfg.healthchecker == HealthCheckerSettings(transition_history=20, netns="dataplane")
    assert cfg.vpp_lb == VppLbSettings(
        ipv4_src_address=ip_address("192.0.2.1"),
        ipv6_src_address=ip_address("2001:db8::1"),
        sticky_buckets_per_core=1024,
        flow_timeout=60.0,
        sync_interval=90.0,
        startup_min_delay=0.0,
        startup_max_delay=2.5,
    )
    assert cfg.vpp_lb.lb_conf() == LbConf(ip_address("192.0.2.1"), ip_address("2001:db8::1"), 1024, 60)
    assert cfg.healthchecks["web"] == HealthCheck(
        name="web",
        type="https",
        port=8443,
        interval=3.0,
        fast_interval=0.75,
        down_interval=60.0,
        timeout=2.0,
        rise=3,
        fall=5,
        http=HttpParams(
            method="HEAD",
            path="/health?full=1",
            host="www.example.com",
            response_codes=((204, 204),),
            body="^ok$",
            body_limit=1024,
            server_name="www.example.com",
            insecure=False,
            ca_file="/etc/ssl/internal-ca.pem",
        ),
        tcp=None,
        probe_ipv4_src=ip_address("10.0.0.254"),
        probe_ipv6_src=ip_address("2001:db8:10::fe"),
    )
    assert cfg.healthchecks["smtp"].tcp == TcpParams(send="EHLO maglev\r\n", expect="^220", read_limit=512)
    assert cfg.healthchecks["smtp"].http is None
    assert cfg.healthchecks["ping"] == HealthCheck(name="ping", type="icmp")
    assert cfg.healthchecks["always"] == HealthCheck(name="always", type="static")
    assert cfg.backends["w2"] == Backend("w2", ip_address("10.0.0.2"), "web", enabled=False)
    assert list(cfg.frontends) == ["www", "smtp", "v6"]  # YAML order is kept
    www = cfg.frontends["www"]
    assert (www.description, www.flush_on_down) == ("web, with a weighted backup", False)
    assert www.vip_key == VipKey.make("198.51.100.0/30", "tcp", 443)
    assert www.pools == (Pool("a", (PoolMember("w1", 0),)), Pool("b", (PoolMember("w2", 100),)))
    assert www.attrs == VipAttrs(encap="gre4", new_flows_table_length=65536, src_ip_sticky=True)
    assert cfg.frontends["smtp"].attrs == VipAttrs(encap="nat4", srv_type="clusterip", target_port=2525)
    v6 = cfg.frontends["v6"]
    assert (v6.protocol, v6.port, v6.vip_key.protocol_name) == (255, 0, "any")
    assert v6.attrs == VipAttrs(encap="nat6", target_port=8080)
    assert v6.backend_names() == ("v1", "v2")


def test_http_check_without_params_gets_default_params():
    cfg = config.parse({"maglev": {"healthchecks": {"h": {"type": "http", "port": 80}}}})
    assert cfg.healthchecks["h"].http == HttpParams()
    assert cfg.healthchecks["h"].http.response_codes == ((200, 399),)
    assert cfg.healthchecks["h"].effective_fast_interval == 0.5


def test_encap_follows_the_backends_family():
    cfg = config.parse(
        {
            "maglev": {
                "vpp": {"lb": {"ipv6-src-address": "2001:db8::1"}},
                "backends": {"a": {"address": "2001:db8::a"}},
                "frontends": {
                    "f": {
                        "address": "192.0.2.1",
                        "port": 53,
                        "protocol": "udp",
                        "pools": [{"name": "p", "backends": {"a": None}}],
                    }
                },
            }
        }
    )
    assert cfg.frontends["f"].attrs.encap == "gre6"
    assert cfg.frontends["f"].vip_key == VipKey.make("192.0.2.1/32", 17, 53)


def test_example_config_is_valid_and_realistic():
    cfg = config.load_file(str(EXAMPLE))
    families = {frontend.address.version for frontend in cfg.frontends.values()}
    assert families == {4, 6}
    assert any(len(frontend.pools) > 1 for frontend in cfg.frontends.values())
    assert {check.type for check in cfg.healthchecks.values()} >= {"http", "tcp"}
    assert any(backend.healthcheck is None for backend in cfg.backends.values())
