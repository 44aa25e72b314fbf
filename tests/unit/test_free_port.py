"""The ports tests' servers take: each pytest-xdist worker its own block below the kernel's ephemeral ports, so
two workers never start servers on one port (tests/helpers.py)."""

from __future__ import annotations

import socket

from tests import helpers


def test_each_worker_takes_ports_of_its_own_block_and_skips_one_in_use(monkeypatch):
    for worker in range(helpers.BLOCKS):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
        first = helpers.PORTS_FROM + worker * helpers.PORTS_PER_WORKER
        assert first <= helpers.free_port() < first + helpers.PORTS_PER_WORKER
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    given = helpers.free_port()
    with socket.socket() as held:
        held.bind(("127.0.0.1", given + 1))  # the next of the block is in use: it is passed over
        held.listen()
        assert helpers.free_port() == given + 2
    assert helpers.PORTS_FROM + helpers.BLOCKS * helpers.PORTS_PER_WORKER <= 32768  # below the ephemeral ports


def test_a_worker_past_the_blocks_takes_a_port_the_kernel_gives(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{helpers.BLOCKS}")
    assert helpers.free_port() >= 32768
