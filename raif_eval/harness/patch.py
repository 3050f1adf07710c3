"""How ``raif-eval`` extends lm-eval's CLI without forking it.

* ``TaskManager.__init__`` gets raif-eval's task folder prepended to ``include_path``. The class is patched, not
  the module attribute: lm-eval imports ``TaskManager`` at call time in several places.
* ``EvaluatorConfig.process_tasks`` turns "Tasks not found" into a one-line error, then builds the selected
  tasks at once — reading and hash-checking their data — so bad input fails before the model is loaded.
  The built tasks are handed to the evaluation's own ``TaskManager.load`` call instead of being built twice.
* When every requested task is raif-eval's (or under the user's ``--include_path``), lm-eval's ~14,000 built-in
  task YAMLs are not indexed: that saves 7-15 s per start and changes nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from raif_eval.errors import RaifError

_after_task_check: list[Callable[[dict], None]] = []
_installed = False
_builtin_tasks = True


def after_task_check(fn: Callable[[dict], None]) -> None:
    """Run ``fn(loaded_tasks)`` once the tasks are known to be valid, before the model is created.

    ``loaded_tasks`` is what ``TaskManager.load`` returned (``{"tasks": {name: Task}, "groups": …}``).
    """
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
    return not set(names) <= set(local.all_tasks)


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
        for fn in _after_task_check:
            fn(loaded)
        return manager

    TaskManager.__init__ = __init__
    TaskManager.load = load
    EvaluatorConfig.process_tasks = checked_process_tasks
    _installed = True
