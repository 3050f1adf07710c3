"""``--model replay``: answer each request from a file of responses produced elsewhere.

``--model_args responses=FILE.jsonl[,model=NAME]``. The file is JSON Lines, one ``{"task": <task name>, "id": <native id>, "response": <text>}`` per line. Native ids
are the benchmarks' own (IFEval's ``key``, InFoBench's ``id``, …; see the README); they are compared as strings.
A line for ``raif_x`` also answers ``raif_x_paper``, so one file serves both protocols.
"""

from __future__ import annotations

import json
from pathlib import Path

import lm_eval.models  # noqa: F401  (lm-eval fills its lazy built-in registry only while it is empty)
from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from raif_eval.core.answers import join_reasoning, without_surrogates

from raif_eval.errors import ReplayError

PAPER_SUFFIX = "_paper"


def read_responses(path: str | Path) -> dict[tuple[str, str], str]:
    """``{(task, id): response}`` from a replay file, with a one-line error for any malformed line. A row may add
    ``"reasoning"``: what a server returned apart from the content, joined as raif-eval's API backends join it."""
    path = Path(path)
    if not path.is_file():
        raise ReplayError(f"replay file {path} does not exist; pass --model_args responses=FILE.jsonl")
    responses: dict[tuple[str, str], str] = {}
    try:
        return _read_lines(path, responses)
    except UnicodeDecodeError as exc:
        raise ReplayError(f"replay file {path} is not UTF-8 text (byte {exc.start}: {exc.reason}); write it as "
                          "UTF-8 JSON Lines") from None


def _read_lines(path: Path, responses: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReplayError(f"{where} is not valid JSON ({exc.msg}); each line must be "
                                  '{"task": ..., "id": ..., "response": ...}') from None
            if not isinstance(row, dict) or not {"task", "id", "response"} <= row.keys():
                raise ReplayError(f'{where} must be an object with keys "task", "id" and "response"')
            if not isinstance(row["task"], str) or not isinstance(row["response"], str):
                raise ReplayError(f'{where}: "task" and "response" must be strings')
            if not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool):
                raise ReplayError(f'{where}: "id" must be a string or an integer')
            if not isinstance(row.get("reasoning") or "", str):
                raise ReplayError(f'{where}: "reasoning" must be a string')
            key = (row["task"], str(row["id"]))
            if key in responses:
                raise ReplayError(f"{where} repeats task {key[0]} id {key[1]}; keep one response per id")
            responses[key] = without_surrogates(join_reasoning(row["response"], row.get("reasoning")))
    if not responses:
        raise ReplayError(f"replay file {path} has no responses")
    return responses


@register_model("replay")
class ReplayLM(LM):
    """Returns stored responses; generation arguments are ignored."""

    def __init__(self, responses: str | None = None, model: str | None = None, **_ignored) -> None:
        super().__init__()
        self.model = model  # the name of the model that wrote the responses; lm-eval names the output folder by it
        if not responses:
            raise ReplayError("the replay model needs a file: --model_args responses=FILE.jsonl")
        self.path = str(responses)
        self.responses = read_responses(responses)

    def _lookup(self, task: str, native_id: str) -> str | None:
        for name in (task, task.removesuffix(PAPER_SUFFIX)):
            if (name, native_id) in self.responses:
                return self.responses[(name, native_id)]
        return None

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        answers = []
        for req in requests:  # look everything up before answering anything
            native_id = str(req.doc["doc_id"])
            answer = self._lookup(req.task_name, native_id)
            if answer is None:
                raise ReplayError(
                    f"replay file {self.path} has no response for task {req.task_name} id {native_id}; add "
                    f'{{"task": "{req.task_name}", "id": "{native_id}", "response": ...}} or restrict the run '
                    f"with --limit/--samples"
                )
            answers.append(answer)
        return answers

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise ReplayError("the replay model only answers generate_until tasks (raif-eval's tasks are all of that kind)")

    loglikelihood_rolling = loglikelihood

    # Chat templating changes the prompt only; replay answers by id, so the template is the message list itself.
    @property
    def tokenizer_name(self) -> str:
        return "replay"

    def apply_chat_template(self, chat_history, add_generation_prompt: bool = True) -> str:
        return json.dumps(chat_history, ensure_ascii=False)
