"""Judge prompt templates: Jinja2 files under ``judges/<benchmark>/`` (installed as ``raif_eval.judges``).

Rendering a template with a benchmark's fields gives byte-for-byte the prompt the official code sends: no
autoescaping, trailing newlines kept, undefined fields are errors. Substituted values are never re-rendered,
so braces or Jinja syntax inside a model answer are inert (unlike chained ``str.replace``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from raif_eval import judges

JUDGES_DIR = Path(judges.__file__).resolve().parent


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(JUDGES_DIR)),
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render(benchmark: str, name: str, **fields) -> str:
    """Render ``judges/<benchmark>/<name>.jinja`` with ``fields``."""
    return environment().get_template(f"{benchmark}/{name}.jinja").render(**fields)


def names(benchmark: str) -> list[str]:
    return sorted(p.stem for p in (JUDGES_DIR / benchmark).glob("*.jinja"))
