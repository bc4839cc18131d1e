"""Disk budgets: sizes, the layer walk, the episode's detail (no container here)."""

from __future__ import annotations

import os

import pytest

from forager.agent.loop import disk_detail
from forager.disk import format_size, layer_size, parse_size
from forager.errors import ForagerError
from forager.records.trajectory import ExitStatus


@pytest.mark.parametrize("text,n", [("2g", 2 << 30), ("200m", 200 << 20), ("1.5G", 3 << 29), ("512k", 512 << 10),
                                    ("1024", 1024), ("10GB", 10 << 30), ("3 GiB", 3 << 30), (4096, 4096)])
def test_parse_size(text, n):
    assert parse_size(text) == n


@pytest.mark.parametrize("bad", ["", "lots", "2x", "-1g"])
def test_parse_size_rejects_nonsense(bad):
    with pytest.raises(ForagerError):
        parse_size(bad)


def test_format_size():
    assert format_size(2 << 30) == "2 GB" and format_size(200 << 20) == "200 MB"
    assert format_size(3 << 29) == "1.5 GB" and format_size(100) == "100 B"


def test_layer_size_counts_allocated_blocks_once_per_inode(tmp_path):
    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "e" / "a").write_bytes(b"x" * (1 << 20))
    os.link(tmp_path / "d" / "e" / "a", tmp_path / "hard")
    (tmp_path / "link").symlink_to("/usr")  # not followed
    with open(tmp_path / "sparse", "wb") as fh:
        fh.truncate(1 << 30)  # 1 GB apparent, nothing allocated
    size, entries = layer_size(str(tmp_path))
    assert entries == 6
    assert (1 << 20) <= size < (1 << 20) + 64 * 1024


def test_layer_size_of_a_missing_directory_is_zero(tmp_path):
    assert layer_size(str(tmp_path / "gone")) == (0, 0)


def test_episode_detail_and_status():
    reason = "the episode container wrote more than 2 GB (its disk budget) and was stopped"
    assert disk_detail(reason) == "the episode container wrote more than 2 GB (its disk budget); the episode was stopped"
    assert ExitStatus("disk_limit") is ExitStatus.disk_limit
