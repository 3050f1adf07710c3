"""A refactor changes no number: every task replayed on the fixtures (every 8th document, both option sets) gives
the metrics recorded in ``tests/fixtures/replay_snapshot.json`` — the results file's and each sample's."""

from __future__ import annotations

import json

import pytest

from helpers import ROOT
from replay_snapshot import differences, snapshot

pytestmark = pytest.mark.slow

SNAPSHOT = ROOT / "tests" / "fixtures" / "replay_snapshot.json"


def test_replay_of_every_task_gives_the_recorded_metrics():
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    got = snapshot(expected["every"])
    assert set(got["default"]["results"]) >= {"raif_complex", "raif_ifeval", "raif_cello", "raif_cfbench",
                                              "raif_complexbench", "raif_fbbench", "raif_followbench_en",
                                              "raif_followbench_zh", "raif_infobench"}
    found = differences(expected, got)
    assert not found, "\n".join(found[:40])
