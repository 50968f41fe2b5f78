"""Settings of the production topology: FastDFS trackers, trusted proxy networks, client.conf."""

from __future__ import annotations

import pytest

from tuchuang.blobs.fastdfs import Address, trackers_from_client_conf
from tuchuang.config import Config, ConfigError


def test_fastdfs_needs_trackers() -> None:
    with pytest.raises(ConfigError, match="TUCHUANG_FDFS_TRACKERS"):
        Config.from_env({"TUCHUANG_BLOB_STORE": "fastdfs"})
    config = Config.from_env({"TUCHUANG_BLOB_STORE": "fastdfs", "TUCHUANG_FDFS_TRACKERS": "t1:22122, t2:22122"})
    assert config.fdfs_trackers == ("t1:22122", "t2:22122")


@pytest.mark.parametrize("bad", ["tracker", "tracker:", "tracker:99999", ":22122"])
def test_malformed_tracker(bad: str) -> None:
    with pytest.raises(ConfigError, match="TUCHUANG_FDFS_TRACKERS"):
        Config.from_env({"TUCHUANG_FDFS_TRACKERS": bad})


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="TUCHUANG_FDFS_TIMEOUT"):
        Config.from_env({"TUCHUANG_FDFS_TIMEOUT": "0"})
    assert Config.from_env({"TUCHUANG_FDFS_CONNECT_TIMEOUT": "0.5"}).fdfs_connect_timeout == 0.5


def test_trusted_proxies_take_networks() -> None:
    config = Config.from_env({"TUCHUANG_TRUSTED_PROXIES": "127.0.0.1, 172.28.0.0/16, ::1"})
    assert config.is_trusted_proxy("172.28.9.1") and config.is_trusted_proxy("::1")
    assert not config.is_trusted_proxy("172.29.0.1")
    assert not config.is_trusted_proxy("127.0.0.2")
    assert not config.is_trusted_proxy("")
    assert not config.is_trusted_proxy("not-an-ip")
    with pytest.raises(ConfigError, match="TUCHUANG_TRUSTED_PROXIES"):
        Config.from_env({"TUCHUANG_TRUSTED_PROXIES": "localhost"})


def test_client_conf_trackers(tmp_path) -> None:
    conf = tmp_path / "client.conf"
    conf.write_text(
        "base_path = /tmp\n# tracker_server = 10.0.0.9:22122\ntracker_server=10.0.0.1:22122\n"
        "tracker_server = [::1]:22123\nnetwork_timeout = 30\n"
    )
    assert trackers_from_client_conf(conf) == [Address("10.0.0.1", 22122), Address("::1", 22123)]
    conf.write_text("base_path = /tmp\n")
    with pytest.raises(ValueError, match="no tracker_server"):
        trackers_from_client_conf(conf)


def test_further_store_paths_for_fsck() -> None:
    """Issue 13: store paths of other groups (or store_path1…) mounted here, for fsck's scan."""
    from pathlib import Path

    from tuchuang.app import build_blobs
    from tuchuang.config import Config

    config = Config.from_env(
        {
            "TUCHUANG_BLOB_STORE": "fastdfs",
            "TUCHUANG_FDFS_TRACKERS": "127.0.0.2:22122",
            "TUCHUANG_STORE_PATH": "/srv/g1",
            "TUCHUANG_STORE_PATHS": "group2/M00=/srv/g2, group1/M01=/srv/g1b",
        }
    )
    blobs = build_blobs(config)
    assert blobs.mounted() == {  # type: ignore[attr-defined]
        "group1/M00": Path("/srv/g1"),
        "group2/M00": Path("/srv/g2"),
        "group1/M01": Path("/srv/g1b"),
    }
