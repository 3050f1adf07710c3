"""Makes raif-eval's tasks visible to plain ``lm_eval`` (0.4.13 reads no task plugins), with no user step.

The wheel installs ``raif_eval_lm_eval.pth`` into site-packages; Python runs its one line at start-up, which calls
:func:`install`. That only registers an import hook (nothing of lm-eval or raif-eval is imported then): when
``lm_eval.tasks.manager`` is first imported, every ``TaskManager`` gets raif-eval's task folder added to its
``include_path``, and when ``lm_eval.__main__`` is, its CLI prints raif-eval's errors (a missing data file, a bad
option) as one line with the remedy, exit 2. Uninstalling raif-eval removes the ``.pth`` with the rest; set
``RAIF_EVAL_LM_EVAL_HOOK=0`` to turn the hook off. The ``raif-eval`` command does not need it (it registers the
folder itself), nor does an lm-eval version that reads the ``lm_eval.tasks`` entry point.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys

TARGETS = ("lm_eval.tasks.manager", "lm_eval.__main__")
ENV = "RAIF_EVAL_LM_EVAL_HOOK"


def install() -> None:
    if os.environ.get(ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in TARGETS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Loader(spec.loader, name)
        return spec


class _Loader(importlib.abc.Loader):
    def __init__(self, inner, name: str) -> None:
        self.inner, self.name = inner, name

    def __getattr__(self, name):  # get_code, get_source, …: runpy (`python -m lm_eval`) runs the code itself
        return getattr(self.inner, name)

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module) -> None:
        self.inner.exec_module(module)
        try:
            (_patch_manager if self.name == "lm_eval.tasks.manager" else _patch_cli)(module)
        except Exception:  # noqa: BLE001 - a start-up hook must never break lm-eval itself
            pass


_skip_builtin_tasks = False  # set by the CLI wrapper when every requested task is raif-eval's


def _patch_manager(module) -> None:
    manager = module.TaskManager
    if getattr(manager, "_raif_hooked", False):
        return
    original = manager.__init__

    def __init__(self, verbosity=None, include_path=None, *args, **kwargs):
        from raif_eval.harness.patch import include_paths

        if _skip_builtin_tasks and not args:
            kwargs.setdefault("include_defaults", False)  # lm-eval's 14,000 task files are not needed
        original(self, verbosity, include_paths(include_path), *args, **kwargs)

    manager.__init__ = __init__
    manager._raif_hooked = True


def _patch_cli(module) -> None:
    original = module.cli_evaluate
    if getattr(original, "_raif_hooked", False):
        return

    def cli_evaluate(*args, **kwargs):
        if os.path.basename(sys.argv[0]).startswith("raif-eval"):
            return original(*args, **kwargs)  # raif-eval's own CLI does all of this itself
        try:
            _note_requested_tasks(sys.argv[1:])
            return original(*args, **kwargs)
        except Exception as exc:
            from raif_eval.errors import RaifError

            cause = exc if isinstance(exc, RaifError) else exc.__cause__ or exc.__context__
            if not isinstance(cause, RaifError):
                raise
            print(f"lm_eval: error: {cause}", file=sys.stderr)
            raise SystemExit(2) from None

    cli_evaluate._raif_hooked = True
    module.cli_evaluate = cli_evaluate


def _note_requested_tasks(argv: list[str]) -> None:
    """When ``--tasks`` names only raif-eval's tasks, lm-eval's built-in ones are not indexed (seconds per run);
    an unknown ``raif_…`` name fails here, before that indexing, with a did-you-mean."""
    global _skip_builtin_tasks
    from raif_eval.cli import pop_flag

    tasks = pop_flag(argv, "--tasks", "-t")[0]
    command = argv[0] if argv and not argv[0].startswith("-") else "run"  # the flag-only form means run
    if command != "run" or not tasks:
        return
    from raif_eval.harness import patch

    _skip_builtin_tasks = not patch.builtin_tasks_needed(tasks, pop_flag(argv, "--include_path")[0])
    patch.judge_across_tasks()  # raif-eval's judged tasks share one judge pool, as under raif-eval run
