"""Only what pyproject.toml cannot say: the wheel also carries ``raif_eval_lm_eval.pth``, one line that makes
raif-eval's tasks visible to plain ``lm_eval`` (see ``raif_eval/lm_eval_hook.py``)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "raif_eval_lm_eval.pth"
LINE = "import raif_eval.lm_eval_hook as _raif_hook; _raif_hook.install()\n"


class BuildPyWithHook(build_py):
    def run(self):
        super().run()
        Path(self.build_lib, PTH).write_text(LINE, encoding="utf-8")

    def get_outputs(self, include_bytecode=True):
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib, PTH))]


setup(cmdclass={"build_py": BuildPyWithHook})
