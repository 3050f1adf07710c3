"""RAIF prompt texts: the policy's system prompt and prefill, templated prompts, and what the judge is shown.

RAIF's training prompts are chat-templated strings (one data folder per policy template) ending with the prefill
``<think>\\n``. The judge of a ``complex`` row sees the *instruction*: the system prompt without RAIF's format
boilerplate (:func:`shrink_system`), a blank line, and the last user turn — recovered from the templated string
for the Qwen, DeepSeek, Llama-3, Mistral and base templates as RAIF's reward code does.
"""

from __future__ import annotations

from typing import Any

from raif_eval import modes
from raif_eval.core import templates

PREFILL = "<think>\n"
WOCOT_PREFILL = "<think>\n\n</think>\n"  # a no-reasoning rollout: the think block is closed before generation
THINK_TAILS = ("<think>\n\n", "<think>\n", "<think>")

# What shrink_system removes: everything up to and including each marker (RAIF's format instructions).
SYSTEM_MARKERS = ("Here is the task definition:\n\n", "between one <answer> tag and one </answer> tag.",
                  "<think> reasoning process here </think><answer> answer here </answer>.")

DEEPSEEK_BOS, DEEPSEEK_USER, DEEPSEEK_ASSISTANT = "<｜begin▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>"


def raif_system_prompt() -> str:
    """The system prompt RAIF's policies are trained with (the ``raif`` mode's, one text for both)."""
    return modes.load("raif").apply([{"role": "user", "content": ""}])[0]


def with_prefill(prompt: str) -> str:
    """``prompt`` ending with the ``<think>`` prefill (added unless one of its forms is already there)."""
    return prompt if prompt.endswith(THINK_TAILS) else prompt + PREFILL


def close_think(prompt: Any) -> str:
    """The no-reasoning version of a RAIF prompt: its think block closed, empty."""
    if not isinstance(prompt, str):
        raise ValueError("no-reasoning rollouts need RAIF-format prompts (chat-templated strings ending with "
                         "<think>); convert conversational data with `raif-train convert`")
    base = next((prompt[: -len(t)] for t in THINK_TAILS if prompt.endswith(t)), prompt)
    return base + WOCOT_PREFILL


def build_prompt(tokenizer: Any, user: str, system: str | None = None) -> str:
    """A RAIF-format prompt for ``tokenizer``'s chat template: system (default: RAIF's), user, prefill."""
    system = raif_system_prompt() if system is None else system
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return with_prefill(text)


def template_of(prompt: Any) -> str:
    """Which chat template a RAIF prompt was rendered with (decides the format check and the recovery)."""
    if not isinstance(prompt, str):
        return "chat"
    for marker, name in (("<|im_start|>", "qwen"), (DEEPSEEK_USER, "deepseek"), ("<|start_header_id|>", "llama3"),
                         ("[INST]", "mistral"), ("User:", "base")):
        if marker in prompt:
            return name
    return "plain"


def shrink_system(system: str) -> str:
    """The system prompt without RAIF's format boilerplate: the text after each marker that occurs (not stripped)."""
    for marker in SYSTEM_MARKERS:
        if marker in system:
            system = system[system.find(marker) + len(marker):]
    return system


def _turns(prompt: Any) -> tuple[str, list[str], str | None]:
    """(system, user turns, text returned as is) of a templated prompt; the last is Mistral's merged turn."""
    if isinstance(prompt, list):  # conversational rows
        system = next((m["content"] for m in prompt if m["role"] == "system"), "")
        return shrink_system(system), [m["content"] for m in prompt if m["role"] == "user"], None
    template = template_of(prompt)
    system, users = "", []
    if template == "qwen":
        for piece in (p.strip() for p in prompt.split("<|im_start|>")):
            role, _, rest = piece.partition("\n")
            content = (rest[: rest.rfind("<|im_end|>")] if "<|im_end|>" in rest else rest).strip()
            if role == "system" and content:
                system = shrink_system(content)
            elif role == "user" and content:
                users.append(content)
    elif template == "deepseek":
        start = prompt.find(DEEPSEEK_BOS) + len(DEEPSEEK_BOS) if DEEPSEEK_BOS in prompt else 0
        system = shrink_system(prompt[start: prompt.find(DEEPSEEK_USER)].strip())
        for piece in prompt[prompt.find(DEEPSEEK_USER):].split(DEEPSEEK_USER):
            turn = piece.split(DEEPSEEK_ASSISTANT, 1)[0].strip()
            if turn:
                users.append(turn)
    elif template == "llama3":
        for piece in (p.strip() for p in prompt.split("<|eot_id|>")):
            if "<|start_header_id|>" in piece and "<|end_header_id|>" in piece:
                role = piece[piece.find("<|start_header_id|>") + 19: piece.find("<|end_header_id|>")]
                content = piece[piece.find("<|end_header_id|>") + 17:]  # not stripped, as RAIF's
                if role == "system" and content:
                    system = shrink_system(content)
                elif role == "user" and content:
                    users.append(content)
    elif template == "mistral":
        merged = None
        for piece in (p.strip() for p in prompt.split("[INST]")):
            if "[/INST]" in piece:
                turn = piece[: piece.find("[/INST]")]
                shrunk = shrink_system(turn)
                if shrunk != turn and shrunk:  # the system prompt was merged into this turn
                    merged = shrunk
                else:
                    users.append(turn)
                    merged = None
        if merged is not None:
            return "", users, merged
    elif template == "base":
        rest = prompt
        if "System:" in prompt:
            system = shrink_system(prompt[prompt.find("System:") + 7: prompt.find("User:")])
            rest = prompt[prompt.find("User:"):]
        for piece in (p.strip() for p in rest.split("User:")):
            if "Assistant:" in piece:
                users.append(piece[: piece.find("Assistant:")])
    else:
        users.append(prompt)
    return system, users, None


def instruction_of(prompt: Any) -> str:
    """The last user turn of a templated (or conversational) prompt, stripped."""
    system, users, merged = _turns(prompt)
    if merged is not None:
        return merged.strip()
    return users[-1].strip() if users else ""


def judge_instruction(prompt: Any) -> str:
    """What the judge is shown as the instruction: the shrunk system prompt, a blank line, the last user turn."""
    system, users, merged = _turns(prompt)
    if merged is not None:
        return merged
    return (system + "\n\n" + users[-1]).strip() if users else system


def judge_user_message(instruction: str, answer: str, question: str) -> str:
    """RAIF's judge prompt for one scoring question (its bilingual YES(是)/NO(否) instruction, verbatim)."""
    return templates.render("raif_train", "question", instruction=instruction, answer=answer, question=question)
