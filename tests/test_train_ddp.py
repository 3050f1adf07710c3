"""Multi-process training on CPU, as the README documents it: ``torchrun --nproc_per_node 2`` (gloo). Two GRPO
steps of RAIFTrainer on a tiny model: both ranks end with identical weights that differ from the start, and each
rank's half of a group sits where the contrast's slot arithmetic expects it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

pytest.importorskip("trl")

from helpers import ROOT, save_tiny_model  # noqa: E402

G, PER_DEVICE = 4, 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_train_the_same_weights(tmp_path):
    model = save_tiny_model(tmp_path / "tiny")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                          "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
                          str(ROOT / "tests" / "ddp_worker.py"), model, str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2] and ranks[0]["backend"] == "gloo"
    assert ranks[0]["start"] == ranks[1]["start"]
    assert ranks[0]["end"] == ranks[1]["end"]  # gradients were all-reduced: one model
    assert ranks[0]["end"] != ranks[0]["start"]  # and it moved
    norms = [e["grad_norm"] for e in ranks[0]["history"] if "grad_norm" in e]
    assert len(norms) == 2 and all(n > 0 for n in norms)
    # one group of G per step, split in halves: rank 0 holds slots 0-1, rank 1 slots 2-3 (the no-reasoning one last)
    for rank in ranks:
        assert len(rank["seen"]) == 2 * PER_DEVICE
        for position, wocot, prompt in rank["seen"]:
            slot = rank["rank"] * PER_DEVICE + position
            assert wocot == (slot == G - 1) and prompt.endswith("</think>\n") == wocot
    assert any("bc_loss" in e for e in ranks[0]["history"])
