"""Inference modes: how a task's prompt is changed before the model sees it (RAIF Table 1's methods).

``io`` (the benchmark's own prompt), ``cot`` (think step by step), ``sdc`` (self-decomposition: list the
sub-instructions and constraints, then answer) and ``raif`` (the RAIF system prompt with the think/answer format).
Each mode is a Jinja2 file in this folder; ``--mode_template FILE`` replaces it with the user's own. A template
changes the dialogue through two optional blocks:

* ``{% block system %}`` — the system message (rendered empty: no system message);
* ``{% block user %}`` — the last user turn, the one the model answers.

Both see ``prompt`` (the last user turn), ``system`` (the system message so far, or ""), ``history`` (the earlier
turns, as ``{"role", "content"}`` dicts), ``lang`` ("zh" when the prompt is mostly Chinese, else "en"), ``task``
and ``mode``. A block the template does not define leaves its part unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from raif_eval.errors import RaifError

MODES_DIR = Path(__file__).resolve().parent
MODES = ("io", "cot", "sdc", "raif")
BLOCKS = ("system", "user")
LABELS = {"io": "I/O", "cot": "CoT", "sdc": "SDC", "raif": "RAIF"}


def language(text: str) -> str:
    """"zh" when at least 30 % of the letters are CJK ideographs, else "en"."""
    letters = sum(c.isalpha() for c in text)
    cjk = sum("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)
    return "zh" if letters and cjk / letters >= 0.3 else "en"


@dataclass(frozen=True)
class Mode:
    name: str
    template: jinja2.Template
    source: str  # the template file, for messages and the results file

    def apply(self, messages: list[dict[str, str]], system: str = "", task: str = "") -> tuple[str, list[dict]]:
        """The system message and the dialogue (ending with the user turn to answer) after this mode."""
        if not messages or messages[-1]["role"] != "user":
            raise ValueError("a dialogue to answer ends with a user turn")
        prompt = messages[-1]["content"]
        context = {"prompt": prompt, "system": system, "history": messages[:-1], "lang": language(prompt),
                   "task": task, "mode": self.name}
        blocks = self.template.blocks
        if "system" in blocks:
            system = self._render("system", context)
        if "user" in blocks:
            messages = [*messages[:-1], {"role": "user", "content": self._render("user", context)}]
        return system, messages

    def _render(self, block: str, context: dict[str, Any]) -> str:
        try:
            return "".join(self.template.blocks[block](self.template.new_context(context)))
        except jinja2.TemplateError as exc:
            raise RaifError(f"mode template {self.source}: block {block!r} failed ({exc})") from None


def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=False,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


@cache
def load(name: str = "io", template: str | None = None) -> Mode:
    """The mode ``name``, rendered by ``template`` (a file) when given, else by the built-in ``<name>.jinja``.

    Bad input — an unknown mode, a missing or unparsable file, a user template with neither block, or one that
    fails on a sample dialogue — is a one-line :class:`RaifError`.
    """
    if not isinstance(name or "io", str) or not isinstance(template or "", str):
        raise RaifError(f"the mode is a name ({', '.join(MODES)}) and its template a file path, not "
                        f"{name!r} / {template!r} (--mode, --mode_template, or raif_mode in --metadata)")
    name = (name or "io").lower()
    if name not in MODES:
        raise RaifError(f"unknown mode {name!r}: choose one of {', '.join(MODES)} (--mode)")
    path = Path(template).expanduser().resolve() if template else MODES_DIR / f"{name}.jinja"
    if not path.is_file():
        raise RaifError(f"mode template {path} does not exist: pass an existing Jinja2 file to --mode_template")
    try:
        compiled = _environment(path.parent).get_template(path.name)
    except jinja2.TemplateSyntaxError as exc:
        raise RaifError(f"mode template {path}, line {exc.lineno}: {exc.message}") from None
    if template and not set(BLOCKS) & set(compiled.blocks):
        raise RaifError(f"mode template {path} defines neither {{% block system %}} nor {{% block user %}}: "
                        "wrap the text that replaces the system message or the last user turn in one of them")
    mode = Mode(name, compiled, str(path))
    mode.apply([{"role": "user", "content": "Say hello."}], task="check")  # fail now, not mid-run
    return mode


def label(name: str | None) -> str:
    """The method label reports use for a mode ("I/O" when none)."""
    return LABELS.get(str(name or "io").lower(), str(name))
