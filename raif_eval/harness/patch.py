"""How ``raif-eval`` extends lm-eval's CLI without forking it.

* ``TaskManager.__init__`` gets raif-eval's task folder prepended to ``include_path``. The class is patched, not
  the module attribute: lm-eval imports ``TaskManager`` at call time in several places.
* ``EvaluatorConfig.process_tasks`` turns "Tasks not found" into a one-line error, then builds the selected
  tasks at once — reading and hash-checking their data — so bad input fails before the model is loaded.
  The built tasks are handed to the evaluation's own ``TaskManager.load`` call instead of being built twice.
* When every requested task is raif-eval's (or under the user's ``--include_path``), lm-eval's ~14,000 built-in
  task YAMLs are not indexed: that saves 7-15 s per start and changes nothing else.
* ``evaluator.evaluate`` runs inside one judge pool (:func:`judge_across_tasks`): every judged task's documents
  go to the judge as soon as the model has answered them, and all tasks share the judge's concurrency.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import importlib.abc
import importlib.util
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from raif_eval.errors import RaifError

_after_task_check: list[Callable[[dict], None]] = []
_installed = False
_builtin_tasks = True
_shortest: int | None = None


def select_shortest(n: int | None) -> None:
    """Evaluate the ``n`` shortest documents of each task (by the size of the whole document: prompt, turns and
    what the judge will read), in place of ``--limit``; the chosen ids are recorded in each task's metadata."""
    global _shortest
    _shortest = n


def shortest_documents(tasks: dict, n: int) -> dict[str, list[int]]:
    """``{task: [doc ids]}``: the ``n`` smallest documents of each task, in document order."""
    import json

    chosen = {}
    for name, task in tasks.items():
        sizes = [len(json.dumps(doc, ensure_ascii=False, default=str)) for doc in task.eval_docs]
        chosen[name] = sorted(sorted(range(len(sizes)), key=lambda i: (sizes[i], i))[:n])
    return chosen


def after_task_check(fn: Callable[[dict], None]) -> None:
    """Run ``fn(loaded_tasks)`` once the tasks are known to be valid, before the model is created.

    ``loaded_tasks`` is what ``TaskManager.load`` returned (``{"tasks": {name: Task}, "groups": …}``). A function
    registered again (a second run in the process) runs once.
    """
    if fn not in _after_task_check:
        _after_task_check.append(fn)


def include_paths(include_path) -> list[str | Path]:
    """raif-eval's task folder first, then the user's (later roots win in lm-eval's index).

    A single string with ``os.pathsep`` is split, as lm-eval's help texts promise but its code does not do.
    """
    from raif_eval.tasks import TASKS_DIR

    if include_path is None:
        extra = []
    elif isinstance(include_path, (list, tuple)):
        extra = list(include_path)
    elif isinstance(include_path, str) and os.pathsep in include_path and not Path(include_path).exists():
        extra = [p for p in include_path.split(os.pathsep) if p]
    else:
        extra = [include_path]
    return [TASKS_DIR, *(p for p in extra if Path(p).resolve() != TASKS_DIR)]


def builtin_tasks_needed(tasks: str | None, include_path) -> bool:
    """Whether ``--tasks`` names anything outside raif-eval's and the user's task folders."""
    if not tasks:
        return True
    names = [t for t in tasks.split(",") if t]
    if any(n.endswith(".yaml") or any(c in n for c in "*?[") or os.path.isdir(n) for n in names):
        return True
    from lm_eval.tasks.manager import TaskManager

    local = TaskManager(include_path=include_paths(include_path), include_defaults=False)
    known = set(local.all_tasks)
    for name in names:  # a misspelt raif-eval task: say so now, not after indexing lm-eval's 14,000 tasks
        if name.startswith("raif_") and name not in known:
            close = difflib.get_close_matches(name, sorted(t for t in known if t.startswith("raif_")), n=3)
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            raise RaifError(f"unknown task {name}; {hint}`raif-eval ls tasks --raif` lists raif-eval's tasks")
    return not set(names) <= known


def install(builtin_tasks: bool = True) -> None:
    """Patch lm-eval (once per process); ``builtin_tasks=False`` leaves lm-eval's own tasks unindexed."""
    global _installed, _builtin_tasks
    _builtin_tasks = builtin_tasks
    if _installed:
        return
    from lm_eval.config.evaluate_config import EvaluatorConfig
    from lm_eval.tasks.manager import TaskManager

    tm_init, tm_load, process_tasks = TaskManager.__init__, TaskManager.load, EvaluatorConfig.process_tasks

    def __init__(self, verbosity=None, include_path=None, *args, **kwargs):
        if not _builtin_tasks and not args:
            kwargs.setdefault("include_defaults", False)
        tm_init(self, verbosity, include_paths(include_path), *args, **kwargs)

    def load(self, task_list):
        preloaded = getattr(self, "_raif_preloaded", None)
        if preloaded is not None and preloaded[0] == repr(task_list):
            self._raif_preloaded = None
            return preloaded[1]
        return tm_load(self, task_list)

    def checked_process_tasks(self, metadata=None):
        try:
            manager = process_tasks(self, metadata)
        except ValueError as exc:
            if str(exc).startswith("Tasks not found:"):
                missing = str(exc).split(":", 1)[1].strip()
                raise RaifError(f"unknown task {missing}; `raif-eval ls tasks` lists the available tasks "
                                f"(raif-eval's whole suite is the group raif_complex)") from None
            raise
        loaded = tm_load(manager, self.tasks)
        manager._raif_preloaded = (repr(self.tasks), loaded)
        if _shortest:
            self.limit, self.samples = None, shortest_documents(loaded["tasks"], _shortest)
            for name, task in loaded["tasks"].items():
                task.config.metadata = {**(task.config.metadata or {}),
                                        "raif_selection": {"shortest": _shortest, "doc_ids": self.samples[name]}}
        for fn in _after_task_check:
            fn(loaded)
        return manager

    TaskManager.__init__ = __init__
    TaskManager.load = load
    EvaluatorConfig.process_tasks = checked_process_tasks
    quiet_console()
    judge_across_tasks()
    lean_evaluator()
    from lm_eval import evaluator

    evaluator.get_git_commit_hash = git_commit_hash
    _installed = True


_pooled = False
_torch_seed: int | None = None


def lean_evaluator() -> None:
    """Keep torch out of runs that do not use it (replay, API backends): lm-eval imports it (~2-5 s) only to seed
    it and to describe the environment.

    * ``set_torch_seed`` seeds torch now when it is loaded, else the moment it is first imported — before any
      use, so the generator's state is the one plain lm-eval would have.
    * ``add_env_info`` records the same keys from package metadata: no torch import, no ``collect_env``
      subprocesses (pip, conda, nvidia-smi); with torch loaded, lm-eval's full report.
    """
    from lm_eval import evaluator

    evaluator.set_torch_seed = set_torch_seed
    evaluator.add_env_info = add_env_info


def set_torch_seed(seed: int) -> None:
    global _torch_seed
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
        return
    if importlib.util.find_spec("torch") is None:
        return
    _torch_seed = seed
    if not any(isinstance(f, _SeedTorchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _SeedTorchOnImport())


class _SeedTorchOnImport(importlib.abc.MetaPathFinder):
    """Seeds torch right after its first import (then leaves the import system)."""

    def find_spec(self, name, path=None, target=None):
        if name != "torch":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or _torch_seed is None:
            return spec
        exec_module, seed = spec.loader.exec_module, _torch_seed

        def seeded(module):
            exec_module(module)
            module.manual_seed(seed)

        spec.loader.exec_module = seeded
        return spec


def add_env_info(storage: dict) -> None:
    if "torch" in sys.modules:
        from lm_eval.loggers.utils import add_env_info as full

        return full(storage)
    import platform
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    from lm_eval.loggers.utils import get_commit_from_path

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "N/A"

    storage.update({
        "pretty_env_info": (f"PyTorch version: {installed('torch')} (not loaded by this run)\n"
                            f"Python version: {platform.python_version()}\nOS: {platform.platform()}\n"
                            f"CPU count: {os.cpu_count()}"),
        "transformers_version": installed("transformers"),
        "lm_eval_version": installed("lm_eval"),
        "upper_git_hash": get_commit_from_path(Path(os.getcwd(), "..")),
    })



def judge_across_tasks() -> None:
    """Make ``lm_eval.evaluator.evaluate`` judge in one pool across tasks, while generating (idempotent).

    The results do not change: each document is judged on exactly the answer its task's filters compute (a
    response judged early under another answer is judged again), through the same cache.
    """
    global _pooled
    if _pooled:
        return
    from lm_eval import evaluator

    from raif_eval.judge.runner import pool_scope

    evaluate = evaluator.evaluate

    def pooled_evaluate(lm, task_dict, *args, **kwargs):
        # task by task, after all generation (the old path); and nothing to open for a run without judging
        if os.environ.get("RAIF_JUDGE_POOL") == "0" or not _judged_tasks(task_dict):
            return evaluate(lm, task_dict, *args, **kwargs)
        with pool_scope(), streaming_judge(lm, task_dict):  # the caller's pool (its judge), else the variables'
            return evaluate(lm, task_dict, *args, **kwargs)

    functools.update_wrapper(pooled_evaluate, evaluate)
    evaluator.evaluate = pooled_evaluate
    _pooled = True


@contextlib.contextmanager
def streaming_judge(lm, task_dict):
    """While ``lm`` generates, hand each finished generation of a judged task to its judge (through the backend's
    per-response cache hook, which lm-eval's hf, vllm and API backends call as each response is done; the rest
    are handed over when ``generate_until`` returns)."""
    tasks = _judged_tasks(task_dict)
    if not tasks or not hasattr(lm, "generate_until"):
        yield
        return
    generate_until = lm.generate_until

    def streamed(requests, *args, **kwargs):
        feed = _Feed(requests, tasks)
        hook = getattr(getattr(lm, "lm", lm), "cache_hook", None)  # CachingLM wraps the backend
        add_partial = getattr(hook, "add_partial", None)
        if add_partial is not None:
            def hooked(attr, req, res):
                add_partial(attr, req, res)
                if attr == "generate_until":
                    feed.partial(req, res)

            hook.add_partial = hooked
        try:
            responses = generate_until(requests, *args, **kwargs)
        finally:
            if add_partial is not None:
                hook.add_partial = add_partial
        feed.rest(requests, responses)
        return responses

    lm.generate_until = streamed
    try:
        yield
    finally:
        del lm.generate_until


def _judged_tasks(task_dict) -> dict:
    from raif_eval.harness.task import RaifTask

    return {name: task for name, task in (task_dict.get("tasks") or {}).items()
            if isinstance(task, RaifTask) and task.benchmark.judged}


class _Feed:
    """Finished generations to their tasks' judges: by context as the backend reports them, then the rest."""

    def __init__(self, requests, tasks: dict) -> None:
        self.tasks = tasks
        self.fed: set[int] = set()
        self.by_context: dict[str, list] = {}
        for request in requests:
            if request.task_name in tasks and request.repeats == 1:
                self.by_context.setdefault(_context_key(request.args[0]), []).append(request)

    def partial(self, req, response) -> None:
        try:
            waiting = self.by_context.get(_context_key(req[0]))
        except (TypeError, IndexError):
            return
        if waiting and isinstance(response, str):
            self._feed(waiting.pop(0), response)

    def rest(self, requests, responses) -> None:
        for request, response in zip(requests, responses):
            if id(request) not in self.fed and request.task_name in self.tasks and request.repeats == 1:
                self._feed(request, response)

    def _feed(self, request, response: str) -> None:
        self.fed.add(id(request))
        if isinstance(response, str):
            try:
                self.tasks[request.task_name].prefetch_judge(request.doc, response)
            except Exception:  # noqa: BLE001 — never break generation: the task's filters judge it anyway
                logging.getLogger(__name__).debug("judging while generating failed", exc_info=True)


def _context_key(context) -> str:
    return str(getattr(context, "prompt", context))  # API backends' JsonChatStr carries the prompt


def git_commit_hash() -> str | None:
    """lm-eval's, without git's "fatal: not a git repository" on the console of every run outside a checkout."""
    import subprocess

    from lm_eval.loggers.utils import get_commit_from_path

    try:
        return subprocess.check_output(["git", "describe", "--always"], stderr=subprocess.DEVNULL).strip().decode()
    except (subprocess.CalledProcessError, FileNotFoundError, OSError):
        return get_commit_from_path(os.getcwd())


def quiet_console() -> None:
    """Leave out lm-eval's per-task hint that does not apply to raif-eval's tasks (idempotent)."""
    task_logger = logging.getLogger("lm_eval.api.task")
    if _quiet_hints not in task_logger.filters:
        task_logger.addFilter(_quiet_hints)


def _quiet_hints(record: logging.LogRecord) -> bool:
    """lm-eval prints a hint about ``max_seq_lengths`` (a kwarg of its long-context tasks) for every task with a
    custom dataset: for raif-eval's tasks it is noise."""
    return not str(record.msg).startswith("raif_") or "Custom kwargs can be passed" not in str(record.msg)
