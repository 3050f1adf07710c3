"""A quiet console: what raif-eval keeps off the user's screen, each a line that used to appear on every run."""

from __future__ import annotations

import logging
import socket

from raif_eval.harness import patch
from raif_eval.judge.server import ChatServer


def test_a_client_that_hung_up_is_no_traceback(capfd):
    server = ChatServer(lambda body: None, ["m"])
    try:
        for error in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset")):
            try:
                raise error
            except OSError:
                server.handle_error(socket.socket(), ("127.0.0.1", 1))
        assert capfd.readouterr().err == ""
        try:
            raise ValueError("a real fault")
        except ValueError:
            server.handle_error(socket.socket(), ("127.0.0.1", 1))
        assert "a real fault" in capfd.readouterr().err  # other faults still show
    finally:
        server.server_close()


def test_no_git_noise_outside_a_checkout(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    assert patch.git_commit_hash() in (None, "")
    assert "fatal" not in capfd.readouterr().err


def test_lm_evals_max_seq_lengths_hint_is_dropped_for_raif_tasks_only():
    patch.quiet_console()
    patch.quiet_console()  # idempotent
    task_logger = logging.getLogger("lm_eval.api.task")
    assert len(task_logger.filters) == len(set(map(id, task_logger.filters)))
    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    task_logger.addHandler(handler)
    try:
        task_logger.warning("raif_ifeval: Custom kwargs can be passed to `--metadata` in console")
        task_logger.warning("ruler: Custom kwargs can be passed to `--metadata` in console")
        task_logger.warning("raif_ifeval: something else")
    finally:
        task_logger.removeHandler(handler)
    assert seen == ["ruler: Custom kwargs can be passed to `--metadata` in console", "raif_ifeval: something else"]


def test_the_lm_eval_hook_registers_once_and_can_be_turned_off(monkeypatch):
    import sys

    from raif_eval import lm_eval_hook

    def hooks():
        return sum(type(f).__module__ == lm_eval_hook.__name__ for f in sys.meta_path)

    before = hooks()
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.setenv("RAIF_EVAL_LM_EVAL_HOOK", "0")
    lm_eval_hook.install()
    assert hooks() == before
    monkeypatch.delenv("RAIF_EVAL_LM_EVAL_HOOK")
    lm_eval_hook.install()
    lm_eval_hook.install()
    assert hooks() == max(before, 1)
