"""Regenerate ``tests/fixtures/raif_paper/fbbench.json``: RAIF's own FB-Bench v1 judging, run unmodified.

    .venv/bin/python tests/raif_reference/fbbench.py [--keep]

What runs (as ``COMPLEX_INSTRUCTIONS/FB-Bench/run_eval_qwen.sh``, generation skipped: the responses are given):
``gen_judgment_local.py --model_id M --out_dir ANSWERS --judge_out_dir JUDGED --judge_model_id Qwen2.5-72B-INT8
--judge_model_url <fake judge>`` in RAIF's ``FB-Bench/`` folder, then ``show_results.py --judge_dir JUDGED``, against
``tests/paper_judge.py``'s judge on 127.0.0.1.

Inputs: the v1 dataset (734 records) from ``/work/shared/benchmarks/fbbench/data/feedback-benchmark/
fb_bench_dataset.json`` (the blob RAIF vendors), copied where ``config/judge_config.yaml`` reads it; the answers file
``ANSWERS/M.jsonl`` in ``gen_answer_local.py``'s format (``{**record, "second_response", "infer_model", "tsamp",
"reasoning"}``), one per record, the response being ``replay_snapshot.synthetic(record["feedback"])``.

Shims (``common.write_shims``; RAIF's files stay byte-identical): ``transformers.AutoTokenizer.from_pretrained``
returns ``raif_eval.core.tokens.ApproxTokenizer()`` (the hard-coded local tokenizer paths do not exist);
``run_local_model`` (imported by ``gen_judgment_local.py``, not in RAIF's tree, its function unused) is a stub.
Third-party packages RAIF's scripts import, installed into the venv: openai, json5, pyyaml, tqdm, pandas,
matplotlib, numpy, scipy, seaborn (seaborn was the one missing), plus transformers (patched).

Fixture (compact JSON, no benchmark text: ``common.sanitise``): ``responses`` ``{"computed_by", "count", "sha256"}``
(the texts, {native id: text}, native id = 0-based position in the dataset file as a string, are recomputed by
``responses(data_dir)``; ``sha256`` is ``common.responses_digest``); ``items`` {native id: null when RAIF skipped
the item (no line written after its 3 attempts), else {"score": RAIF's score, "verdicts": [each checkpoint's "评判结果",
in the order of RAIF's judgement dict], and, only where that dict's keys differ from the checklist's texts,
"checkpoints": the keys' sha256s (JSON5's single-quoted strings drop unknown escapes: ``\\sqrt`` becomes
``sqrt``)}}; ``printed`` {"error_correction_score", "response_maintenance_score", "overall_score"} from
show_results.py's ``results.csv`` (its printed table, ×100); ``requests`` {native id: [common.request_digest(body),
...] in the order sent}; ``request_examples`` {native id: [bodies, in the order sent]} for ids "0" and "1", each
message's ``content`` replaced by ``{"sha256", "chars"}``; ``judge_model``; ``model_id``; ``reply_kinds`` {native
id: paper_judge.fbbench's kind (hash % 10, or "not json") of the item's first request}, for coverage checks.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

if not __package__:  # run as a script: make the ``raif_reference`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from raif_reference.common import (FIXTURES, JUDGE_MODEL, SHARED, check_every_item_asked, extract_raif,  # noqa: E402
                                   read_jsonl, release, request_digest, require_modules, run_script, start_judge,
                                   write_fixture, write_shims)

MODULES = ["openai", "json5", "yaml", "tqdm", "pandas", "matplotlib", "numpy", "scipy", "seaborn", "transformers"]
DATASET = Path("fbbench") / "data" / "feedback-benchmark" / "fb_bench_dataset.json"  # under the data dir
MODEL_ID = "paper-model"
STUBS = {"run_local_model": '''\
    """Stub: gen_judgment_local.py imports this module (absent from RAIF's tree) but never calls it."""


    def call_model_service_infer(*args, **kwargs):
        raise RuntimeError("run_local_model.call_model_service_infer is a stub")
    '''}
USER_OPEN, USER_CLOSE = "<role>user</role>\n<content>\n", "\n</content>\n\n<role>assistant</role>"


def responses(data_dir: Path) -> dict[str, str]:
    """{native id: the second response RAIF judges} for every v1 record under ``data_dir``
    (``/work/shared/benchmarks``)."""
    from replay_snapshot import synthetic

    records = json.loads((data_dir / DATASET).read_text(encoding="utf-8"))
    return {str(i): synthetic(r["feedback"]) for i, r in enumerate(records)}


def reply_kind(body: dict) -> str:
    """Which of paper_judge.fbbench's replies a request gets (the judge's own hash)."""
    from paper_judge import FB_SKELETON

    last = body["messages"][-1]["content"]
    found = FB_SKELETON.findall(last)
    try:
        json.loads(found[-1])
    except (IndexError, ValueError):
        return "not json"
    h = int(hashlib.sha256(json.dumps(body["messages"], ensure_ascii=False).encode("utf-8", "surrogatepass"))
            .hexdigest(), 16)
    return str(h % 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=FIXTURES / "fbbench.json")
    parser.add_argument("--keep", action="store_true", help="keep (and print) the working directory")
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()
    require_modules(MODULES)
    work = Path(tempfile.mkdtemp(prefix="raif-ref-fbbench-"))
    try:
        bench = extract_raif(work / "raif", "COMPLEX_INSTRUCTIONS/FB-Bench").resolve()
        data_dir = bench / "data" / "feedback-benchmark"
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED / DATASET, data_dir / "fb_bench_dataset.json")
        shims = write_shims(work / "shims", STUBS, patches=("tokenizers",))

        records = json.loads((SHARED / DATASET).read_text(encoding="utf-8"))
        texts = responses(SHARED)
        answers = work / "answers"
        answers.mkdir()
        with (answers / f"{MODEL_ID}.jsonl").open("w", encoding="utf-8") as fh:
            for i, record in enumerate(records):
                fh.write(json.dumps({**record, "second_response": texts[str(i)], "infer_model": MODEL_ID,
                                     "tsamp": 0.0, "reasoning": None}, ensure_ascii=False) + "\n")
        judged = work / "judged"

        judge = start_judge(model=JUDGE_MODEL)
        try:
            log = run_script(["gen_judgment_local.py", "--model_id", MODEL_ID, "--out_dir", str(answers),
                              "--judge_out_dir", str(judged), "--judge_model_id", JUDGE_MODEL,
                              "--judge_model_url", judge.url, "--batch_size", str(args.batch_size)], bench, shims)
        finally:
            judge.stop()
        printed_text = run_script(["show_results.py", "--judge_dir", str(judged)], bench, shims)
        (work / "gen_judgment.log").write_text(log, encoding="utf-8")

        by_query = {r["user_query"]: str(i) for i, r in enumerate(records)}
        items: dict[str, object] = {k: None for k in texts}
        for line in read_jsonl(judged / f"{MODEL_ID}_judged_by_{JUDGE_MODEL}.jsonl"):
            key = by_query[line["user_query"]]
            assert items[key] is None, f"two judgements for {key}"
            assert line["second_response"] == texts[key]
            ckpts = [c if isinstance(c, str) else c[0] for c in records[int(key)]["checklist"]]
            items[key] = {"score": line["score"], "verdicts": [v["评判结果"] for v in line["judgement"].values()]}
            if list(line["judgement"]) != list(dict.fromkeys(ckpts)):  # the judge's keys as RAIF parsed them
                items[key]["checkpoints"] = list(line["judgement"])

        with (judged / "results.csv").open(encoding="utf-8") as fh:
            row = next(r for r in csv.DictReader(fh) if r["model_name"] == f"{MODEL_ID}_judged_by_{JUDGE_MODEL}")
        printed = {k: float(row[k]) if row[k] else None
                   for k in ("error_correction_score", "response_maintenance_score", "overall_score")}

        requests: dict[str, list[str]] = {k: [] for k in texts}
        examples: dict[str, list[dict]] = {"0": [], "1": []}
        kinds: dict[str, str] = {}
        for entry in judge.log.entries:
            body = entry["body"]
            prompt = body["messages"][-1]["content"]
            query = prompt.split(USER_OPEN, 1)[1].split(USER_CLOSE, 1)[0]
            key = by_query.get(query) or next(str(i) for i, r in enumerate(records)
                                             if f"{USER_OPEN}{r['user_query']}{USER_CLOSE}" in prompt)
            requests[key].append(request_digest(body))
            kinds.setdefault(key, reply_kind(body))
            if key in examples:
                examples[key].append(body)
    finally:
        release(work, args.keep)

    check_every_item_asked(requests)
    kinds = {k: kinds[k] for k in texts}  # in id order, not the order the threads sent them
    golden = {"benchmark": "fbbench v1 (RAIF COMPLEX_INSTRUCTIONS/FB-Bench, 3986069)", "judge_model": JUDGE_MODEL,
              "model_id": MODEL_ID, "printed": printed, "items": items, "requests": requests,
              "request_examples": examples, "reply_kinds": kinds, "responses": texts}
    size = write_fixture(args.out, golden, Path(__file__).name)
    skipped = sum(v is None for v in items.values())
    attempts = Counter(len(v) for v in requests.values())
    print(printed_text.strip())
    print(f"printed: {printed}")
    print(f"items: {len(items)}, skipped: {skipped}, requests per item: {dict(sorted(attempts.items()))}")
    print(f"reply kinds (first request): {dict(sorted(Counter(kinds.values()).items()))}")
    print(f"skipped by kind: {dict(sorted(Counter(kinds[k] for k, v in items.items() if v is None).items()))}")
    print(f"wrote {args.out} ({size} bytes)")


if __name__ == "__main__":
    main()
