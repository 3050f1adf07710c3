"""The deterministic judge of the RAIF-protocol fidelity checks: a pure function of a request's messages whose
replies exercise the quirks of RAIF's parsers.

The same function answers RAIF's own scripts (``tests/raif_reference/``, which writes the goldens under
``tests/fixtures/raif_paper/``) and raif-eval's ``*_paper`` tasks, so equal verdicts mean equal parsing of equal
requests. Serve it with ``FakeJudge(reply=paper_reply)`` (``tests/fake_judge.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

CF_CRITERIA, CF_END = "[评估标准]: ", "\n\n[你的评估]:"
LIST_ASK = re.compile(r"only output a Python LIST with (\d+) elements?")
FB_SKELETON = re.compile(r"```json\n(\{.*\})\n```", re.S)


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), 16)


def cfbench(last: str, h: int) -> str:
    """Criterion blocks as RAIF's lenient parser meets them: tabs, spaces, single newlines, stray whitespace,
    criteria split over two blocks or missing, N/A and non-0/1 scores, prose."""
    criteria = last.rsplit(CF_CRITERIA, 1)[1].rsplit(CF_END, 1)[0].split("\n\n")
    scores = [str(int(_hash(c + str(h)) % 3 != 0)) for c in criteria]
    kind = h % 12
    if kind <= 2:
        return "\n\n".join(f"{c}\t{s}" for c, s in zip(criteria, scores))
    if kind == 3:  # single newlines
        return "\n".join(f"{c}\t{s}" for c, s in zip(criteria, scores))
    if kind == 4:  # a space instead of the tab, stray whitespace around the blocks
        return "\n\n".join(f"  {c} {s}  " for c, s in zip(criteria, scores)) + "\n\n"
    if kind == 5 and criteria:  # one criterion split over two blocks: the counts differ
        head, tail = criteria[0][: len(criteria[0]) // 2], criteria[0][len(criteria[0]) // 2:]
        blocks = [f"{head}\t{scores[0]}", f"{tail}\t{scores[0]}"] + [f"{c}\t{s}" for c, s in zip(criteria[1:], scores[1:])]
        return "\n\n".join(blocks)
    if kind == 6:  # the last criterion missing
        return "\n\n".join(f"{c}\t{s}" for c, s in zip(criteria[:-1], scores[:-1]))
    if kind == 7:  # N/A and a score of 2
        marks = ["N/A" if i % 3 == 1 else ("2" if i % 3 == 2 else s) for i, s in enumerate(scores)]
        return "\n\n".join(f"{c}\t{m}" for c, m in zip(criteria, marks))
    if kind == 8:  # an embedded newline inside a criterion block
        return "\n\n".join(f"{c[:5]}\n{c[5:]}\t{s}" for c, s in zip(criteria, scores))
    if kind == 9:  # numbered lines with a colon, which neither splitter separates
        return "\n".join(f"{i + 1}. {c}：{s}" for i, (c, s) in enumerate(zip(criteria, scores)))
    if kind == 10:
        return "无法评估。"
    return "\n".join(f"{c}\t{s}" for c, s in zip(criteria, scores)) + "\n\n总体评价\t1"


def fbbench(last: str, h: int) -> str:
    """The checklist filled in, wrapped as judges wrap JSON: a json fence with prose, a bare fence, bare JSON,
    YAML, a Python literal, single quotes, a wrong value, no JSON at all."""
    found = FB_SKELETON.findall(last)
    try:
        skeleton = json.loads(found[-1])
    except (IndexError, ValueError):
        return "not json"
    if not isinstance(skeleton, dict) or not all(isinstance(v, dict) for v in skeleton.values()):
        return "not json"
    filled = {k: {"评判理由": "理由", "评判结果": "是" if _hash(k + str(h)) % 3 else "否", "weight": v.get("weight")}
              for k, v in skeleton.items()}
    text = json.dumps(filled, ensure_ascii=False, indent=2)
    kind = h % 10
    if kind <= 2:
        return f"评估如下：\n```json\n{text}\n```\n以上。"
    if kind == 3:
        return f"```\n{text}\n```"
    if kind == 4:
        return text.replace("\n", "\n\n")  # blank lines, collapsed by the reader
    if kind == 5:  # YAML
        return "\n".join(f"{k}:\n  评判理由: 理由\n  评判结果: {v['评判结果']}\n  weight: "
                         f"{'null' if v['weight'] is None else v['weight']}" for k, v in filled.items())
    if kind == 6:  # a Python literal (None): neither JSON5 nor a valid YAML judgement
        return repr(filled)
    if kind == 7:  # single quotes, trailing comma: JSON5
        return "{" + ", ".join(f"'{k}': {{'评判理由': '理由', '评判结果': '{v['评判结果']}', 'weight': "
                               f"{'null' if v['weight'] is None else v['weight']},}}" for k, v in filled.items()) + "}"
    if kind == 8:  # a value the validator rejects
        return json.dumps({k: {**v, "评判结果": "部分"} for k, v in filled.items()}, ensure_ascii=False)
    return "这不是JSON"


INFOBENCH_REPLIES = ("YES", "NO", "Yes, it does.", "No.", "Unclear.", "I cannot know.", "<answer>YES",
                     "The answer is not obvious", "", "yes", "NO, but almost YES")


def infobench(h: int) -> str:
    return INFOBENCH_REPLIES[h % len(INFOBENCH_REPLIES)]


def followbench(last: str, h: int) -> str:
    n = int(LIST_ASK.search(last).group(1))
    kind = h % 8
    verdicts = ["YES" if _hash(f"{last}{i}") % 3 else "NO" for i in range(n)]
    if kind == 7:
        return "The constraints are hard to judge."
    if kind == 6:
        return f"1) ...\n{verdicts[:-1] if n > 1 else []}"
    return f"1) The added constraints are ...\n2) ...\n{verdicts}"


def paper_reply(body: dict[str, Any]) -> str:
    if body.get("max_tokens") == 1:  # raif-eval's start-up probe
        return "OK"
    messages = body["messages"]
    last = messages[-1]["content"]
    h = _hash(json.dumps(messages, ensure_ascii=False))
    if "**问题**" in last and "答案：是/否" in last:  # ComplexBench evaluation
        return ["分析：满足。\n答案：是", "分析：不满足。\n答案：否", "无法判断"][h % 3]
    if "【评分问题" in last and "【模型回复" in last:  # ComplexBench extraction
        return ["【模型回复中评分问题的评测对象】\nall", "【模型回复中评分问题的评测对象】\nNone"][h % 2]
    if last.rstrip().endswith(CF_END.strip("\n")) and CF_CRITERIA in last:
        return cfbench(last, h)
    if LIST_ASK.search(last):
        return followbench(last, h)
    if FB_SKELETON.search(last):
        return fbbench(last, h)
    return infobench(h)  # InfoBench's questions (first turn or a later one)
