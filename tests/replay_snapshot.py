"""Replay every raif-eval task on the fixtures through the CLI and write its metrics: the refactoring guard.

Responses are the released ones where the benchmark ships them (IFEval and CELLO GPT-4, FB-Bench Qwen2.5-7B,
CFBench's judged models) and otherwise a deterministic function of the prompt; the judge is a loopback server whose
reply is a deterministic function of the request, written so that every benchmark's parser sees readable and
unreadable replies. Two runs: the default options, and every task option switched. The output holds each run's
results metrics and, per task, every sample's metric values by native id, so "a refactor changes no number" is one
comparison:

    python tests/replay_snapshot.py --out before.json            # on the old commit
    python tests/replay_snapshot.py --out after.json --compare before.json

``tests/test_replay_snapshot.py`` replays every 8th document against ``tests/fixtures/replay_snapshot.json``
(``--every 8 --digest --out tests/fixtures/replay_snapshot.json`` rewrites it when a change of numbers is
intended, and the commit says why).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fake_judge import MODEL, FakeJudge  # noqa: E402
from helpers import ROOT, SHARED, data_dir_with_complexbench_fixture  # noqa: E402

OPTIONS = {"ifeval_raif_score": "mean4", "cello_revise_against": "previous_turn", "fbbench_version": "v1",
           "fbbench_on_failure": "zero", "followbench_on_unparsed": "zero", "complexbench_missing": "drop"}


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), 16)


# --- responses ----------------------------------------------------------------------------------------------

def synthetic(prompt: str) -> str:
    """A deterministic answer of varied shape: echoes, lists, JSON, think blocks, empty."""
    h = _hash(prompt)
    words = prompt.split()
    kind = h % 7
    if kind == 0:
        return prompt[:400]
    if kind == 1:
        return "\n".join(f"* {w}" for w in words[: 3 + h % 5])
    if kind == 2:
        return json.dumps({"answer": words[:5]}, ensure_ascii=False)
    if kind == 3:
        return f"<think>\n{prompt[:80]}\n</think>\n\n{' '.join(reversed(words[:60]))}"
    if kind == 4:
        return ""
    if kind == 5:
        return f"<<Title>>\n\n{prompt[-300:]}\n\nP.S. done."
    return " ".join(words[::2])[:600]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def responses(data_dir: Path) -> list[dict[str, Any]]:
    """One replay line per (task, native id) of every task, on both FB-Bench versions."""
    rows: list[dict[str, Any]] = []

    def add(task: str, native_id: Any, prompt: str, released: str | None = None) -> None:
        rows.append({"task": task, "id": str(native_id), "response": synthetic(prompt) if released is None
                     else released})

    ifeval = _jsonl(SHARED / "ifeval" / "input_data.jsonl")
    gpt4 = _jsonl(SHARED / "ifeval" / "fixtures" / "gpt4_official" / "input_response_data_gpt4_20231107_145030.jsonl")
    for record, answer in zip(ifeval, gpt4):
        add("raif_ifeval", record["key"], record["prompt"], answer["response"])

    answers = {}
    for path in sorted((SHARED / "cello" / "results" / "gpt4").glob("res_*.json")):
        for result in json.loads(path.read_text(encoding="utf-8")):
            answers.setdefault(str(result["Instruction_id"]), result["model_answer"])
    for path in sorted((SHARED / "cello" / "data").glob("*.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            released = answers.get(str(record["Instruction_id"]))
            add("raif_cello", record["Instruction_id"], record["Instruction"],
                released if isinstance(released, str) else None)

    judged = {}
    for path in sorted((SHARED / "cfbench" / "output" / "judge").glob("*_eval.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            judged.setdefault(item["idx"], item["response"])
    for record in json.loads((SHARED / "cfbench" / "data" / "cfbench_data.json").read_text(encoding="utf-8")):
        add("raif_cfbench", record["idx"], record["prompt"], judged.get(record["idx"]))

    for record in json.loads((data_dir / "complexbench" / "data" / "data_final.json").read_text(encoding="utf-8")):
        add("raif_complexbench", record["main_id"], record["instruction"])

    fb = SHARED / "fbbench" / "data" / "feedback-benchmark"
    qwen = [r["second_response"] for r in _jsonl(fb / "model_judgment" / "gpt-4o-2024-08-06" /
                                                 "Qwen2.5-7B-Instruct.jsonl")]
    v3 = json.loads((fb / "fb_bench_dataset_v3.json").read_text(encoding="utf-8"))
    v1 = json.loads((fb / "fb_bench_dataset.json").read_text(encoding="utf-8"))
    for position in range(max(len(v3), len(v1))):  # one file answers both versions by position
        released = qwen[position] if position < len(qwen) else None
        record = v3[position] if position < len(v3) else v1[position]
        add("raif_fbbench", position, record["feedback"], released)

    for task, folder in (("raif_followbench_en", "data"), ("raif_followbench_zh", "data_zh")):
        for path in sorted((SHARED / "followbench" / folder).glob("*_constraints.json")):
            for position, record in enumerate(json.loads(path.read_text(encoding="utf-8"))):
                if record["level"] >= 1:  # level 0 is the seed instruction, not a document
                    add(task, f"{path.stem}:{position}", record["instruction"])

    for record in _jsonl(SHARED / "infobench" / "InfoBench.json"):
        add("raif_infobench", record["id"], record["instruction"] + (record.get("input") or ""))
    return rows


# --- the judge ----------------------------------------------------------------------------------------------

CF_CRITERIA, CF_END = "[评估标准]: ", "\n\n[你的评估]:"


def reply(body: dict[str, Any]) -> str:
    """The loopback judge: a pure function of the request, readable by each benchmark's parser most of the time."""
    if body.get("max_tokens") == 1:  # the start-up probe
        return "OK"
    last = body["messages"][-1]["content"]
    h = _hash(json.dumps(body["messages"], ensure_ascii=False))
    bucket = h % 10
    if last.rstrip().endswith(CF_END) and CF_CRITERIA in last:  # CFBench: a "criterion\t0|1" block per criterion
        criteria = last.rsplit(CF_CRITERIA, 1)[1].rsplit(CF_END, 1)[0].split("\n\n")
        blocks = [f"{c}\t{int(_hash(c + str(h)) % 3 != 0)}" for c in criteria]
        if bucket == 9:
            return "无法评估。"
        return ("\n" if bucket == 8 else "\n\n").join(blocks)  # single newlines: only the fallback reads it
    if "```json\n" in last and last.rstrip().endswith("```"):  # FB-Bench: the checklist skeleton filled in
        try:
            skeleton = json.loads(last.rsplit("```json\n", 1)[1].rsplit("```", 1)[0])
        except ValueError:
            return "not json"
        if bucket == 9:
            return "这不是JSON"
        return json.dumps({k: {"评判理由": "理由", "评判结果": "是" if _hash(k + str(h)) % 3 else "否",
                               "weight": v.get("weight")} for k, v in skeleton.items()}, ensure_ascii=False)
    if "【评分问题" in last and "【模型回复" in last:  # ComplexBench extraction (both templates)
        response = re.split(r"【模型回复(?:开始)?】\n", last)[-1].split("\n\n【评分问题", 1)[0]
        if bucket < 4:
            return "【模型回复中评分问题的评测对象】\nall"
        if bucket < 7:
            return f"【模型回复中评分问题的评测对象】\n评分对象：{response[:30]}||{response[-10:]}"
        return "【模型回复中评分问题的评测对象】\nNone"
    if "**问题**" in last and "答案：是/否" in last:  # ComplexBench evaluation
        return ["分析：满足。\n答案：是", "分析：不满足。\n答案：否", "无法判断"][bucket % 3]
    from fake_judge import scripted_reply  # FollowBench lists, InfoBench YES/NO, and the unreadable tail

    return scripted_reply(body)


# --- runs ---------------------------------------------------------------------------------------------------

def _selection(rows: list[dict[str, Any]], every: int, metadata: dict | None) -> dict[str, list[int]]:
    """Every ``every``-th document of each task (FB-Bench counted on the version the run uses)."""
    sizes: dict[str, int] = {}
    for row in rows:
        sizes[row["task"]] = sizes.get(row["task"], 0) + 1
    fb = SHARED / "fbbench" / "data" / "feedback-benchmark"
    name = "fb_bench_dataset.json" if (metadata or {}).get("fbbench_version") == "v1" else "fb_bench_dataset_v3.json"
    sizes["raif_fbbench"] = len(json.loads((fb / name).read_text(encoding="utf-8")))
    for task in list(sizes):  # the paper tasks: the same documents (FB-Bench's on v1 unless told otherwise)
        sizes[f"{task}_paper"] = sizes[task]
    if (metadata or {}).get("fbbench_version") is None:
        sizes["raif_fbbench_paper"] = len(json.loads((fb / "fb_bench_dataset.json").read_text(encoding="utf-8")))
    return {task: list(range(0, n, every if n > 50 else 1)) for task, n in sizes.items()}


def _run(replay: Path, out: Path, env: dict[str, str], selection: dict | None, metadata: dict | None) -> dict:
    args = [sys.executable, "-m", "raif_eval", "run", "--model", "replay",
            "--model_args", f"responses={replay},model=snapshot", "--tasks",
            "raif_complex,raif_followbench_zh,raif_complex_paper,raif_followbench_zh_paper",
            "--output_path", str(out), "--log_samples", "--judge_model", MODEL]
    if selection:
        args += ["--samples", json.dumps(selection)]
    if metadata:
        args += ["--metadata", json.dumps(metadata)]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode:
        raise SystemExit(f"replay run failed ({done.returncode}):\n{done.stderr[-4000:]}")
    results_path = max(out.rglob("results_*.json"))
    results = json.loads(results_path.read_text(encoding="utf-8"))
    stamp = results_path.stem.removeprefix("results_")
    samples = {}
    for task in results["configs"]:
        lines = _jsonl(results_path.parent / f"samples_{task}_{stamp}.jsonl")
        samples[task] = {str(s["doc"]["doc_id"]): {m: s[m] for m in s["metrics"]} for s in lines}
    metrics = {task: {k: v for k, v in values.items() if k != "alias"} for task, values in results["results"].items()}
    return {"results": metrics, "samples": samples}


def snapshot(every: int = 1) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
               "HF_HOME": os.environ.get("HF_HOME", str(ROOT / ".cache" / "hf")),
               **data_dir_with_complexbench_fixture(tmp / "data")}
        rows = responses(tmp / "data")
        replay = tmp / "responses.jsonl"
        replay.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        server = FakeJudge(reply=reply).start()
        env.update(RAIF_JUDGE_URL=server.url, RAIF_JUDGE_CACHE=str(tmp / "judge.sqlite"))
        try:
            return {"every": every,
                    **{run: _run(replay, tmp / run, env, _selection(rows, every, options) if every > 1 else None,
                                 options) for run, options in (("default", None), ("options", OPTIONS))}}
        finally:
            server.stop()


def digest(snap: dict[str, Any]) -> dict[str, Any]:
    """The snapshot with each task's per-sample values replaced by their sha256 (small enough to commit)."""
    out = {"every": snap["every"]}
    for run in ("default", "options"):
        samples = {task: hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
                   for task, values in snap[run]["samples"].items()}
        out[run] = {"results": snap[run]["results"], "samples": samples}
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def differences(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Every metric (results and per-sample) that differs, as readable lines."""
    out = []
    for run in ("default", "options"):
        for part in ("results", "samples"):
            old, new = expected[run][part], got[run][part]
            if part == "samples" and any(isinstance(v, str) for v in old.values()):  # a digest
                new = digest(got)[run]["samples"] if not any(isinstance(v, str) for v in new.values()) else new
                out += [f"{run} samples of {t} differ" for t in sorted(set(old) | set(new)) if old.get(t) != new.get(t)]
                continue
            for task in sorted(set(old) | set(new)):
                if task not in old or task not in new:
                    out.append(f"{run} {part}: task {task} only in {'new' if task in new else 'old'}")
                    continue
                for key in sorted(set(old[task]) | set(new[task])):
                    a, b = old[task].get(key, "<absent>"), new[task].get(key, "<absent>")
                    if not _same(a, b):
                        out.append(f"{run} {part} {task} {key}: {str(a)[:200]} -> {str(b)[:200]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="write the snapshot here (JSON)")
    parser.add_argument("--every", type=int, default=1, help="every N-th document of each task (default: all)")
    parser.add_argument("--digest", action="store_true", help="store per-sample values as one hash per task")
    parser.add_argument("--compare", default=None, help="a snapshot to compare with; exit 1 on any difference")
    args = parser.parse_args()
    got = snapshot(args.every)
    written = digest(got) if args.digest else got
    Path(args.out).write_text(json.dumps(written, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                              encoding="utf-8")
    if args.compare:
        expected = json.loads(Path(args.compare).read_text(encoding="utf-8"))
        found = differences(expected, got)
        n = sum(len(v) for run in ("default", "options") for v in got[run]["samples"].values())
        print(f"{len(found)} differences over {n} samples" + "".join(f"\n  {line}" for line in found[:50]))
        raise SystemExit(1 if found else 0)


if __name__ == "__main__":
    main()
