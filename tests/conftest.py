"""Test-session set-up: hermetic environment, no outbound network, one shared lm-eval TaskManager."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from helpers import NETGUARD, ROOT, SHARED, data_dir_with_complexbench_fixture

# Environment for this process and every subprocess, set before lm-eval or datasets are imported.
os.environ.setdefault("RAIF_DATA_DIR", str(SHARED))
os.environ["RAIF_DATA_DIR"] = str(Path(os.environ["RAIF_DATA_DIR"]).resolve())
os.environ["RAIF_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("HF_HOME", str(ROOT / ".cache" / "hf"))
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["PYTHONPATH"] = os.pathsep.join([str(NETGUARD), *filter(None, [os.environ.get("PYTHONPATH")])])
NETGUARD_LOG = ROOT / ".cache" / f"netguard-{os.getpid()}.log"
NETGUARD_LOG.parent.mkdir(parents=True, exist_ok=True)
NETGUARD_LOG.unlink(missing_ok=True)
os.environ["NETGUARD_LOG"] = str(NETGUARD_LOG)

# The same guard in this process (subprocesses load it as sitecustomize through PYTHONPATH).
_spec = importlib.util.spec_from_file_location("raif_netguard", NETGUARD / "sitecustomize.py")
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))


@pytest.fixture(scope="session", autouse=True)
def lm_eval_registrations():
    """raif-eval's lm-eval registrations (the replay and chat backends, the filters), as ``raif-eval``, the
    ``lm_eval`` hook and a task's class import bring them: tests calling ``lm_eval.simple_evaluate`` directly must
    not depend on which test imported them first."""
    import raif_eval.harness  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def no_network_attempts():
    """Fail the session if any process tried to reach the network, even where the error was swallowed."""
    yield
    attempts = NETGUARD_LOG.read_text().splitlines() if NETGUARD_LOG.exists() else []
    NETGUARD_LOG.unlink(missing_ok=True)
    assert not attempts, f"outbound network attempts during the tests: {attempts[:5]}"


@pytest.fixture(scope="session")
def task_manager():
    """One TaskManager for the whole run (indexing costs seconds), with raif-eval's tasks only."""
    import raif_eval.harness  # noqa: F401
    from lm_eval.tasks import TaskManager

    from raif_eval.tasks import TASKS_DIR

    return TaskManager(include_path=[str(TASKS_DIR)], include_defaults=False)


@pytest.fixture(scope="session")
def ifeval_gpt4_responses() -> list[str]:
    path = SHARED / "ifeval" / "fixtures" / "gpt4_official" / "input_response_data_gpt4_20231107_145030.jsonl"
    return [json.loads(line)["response"] for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def ifeval_records():
    from raif_eval.benchmarks import ifeval

    return ifeval.load_records()



@pytest.fixture(scope="module")
def complexbench_data(tmp_path_factory):
    """The shared data with ComplexBench's test fixture standing in for its data file."""
    env = data_dir_with_complexbench_fixture(tmp_path_factory.mktemp("data") / "d")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        yield


@pytest.fixture
def judge_server():
    """Start scripted judges (``tests/fake_judge.py``, keyword arguments as FakeJudge's) on 127.0.0.1; all are
    stopped after the test."""
    from fake_judge import FakeJudge

    servers = []

    def start(**kwargs):
        server = FakeJudge(**kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
