"""Regenerate ``tests/fixtures/raif_paper/cfbench.json`` by running RAIF's own, unmodified CFBench judge script
(``COMPLEX_INSTRUCTIONS/CFBench/code/evalaute_local.py``, yuleiqin/RAIF @ 3986069) against the paper judge
(``tests/paper_judge.py`` served by ``tests/fake_judge.py``). A developer tool, not a pytest test::

    .venv/bin/python tests/raif_reference/cfbench.py [--records 80] [--out PATH]

Needs the RAIF mirror (``/work/.mirror/yuleiqin+RAIF/repo`` or ``$RAIF_MIRROR``) and RAIF's third-party imports
in this venv: arrow, flask, xlsxwriter (``pip install arrow flask xlsxwriter``), plus openpyxl, aiohttp, pandas,
numpy, tqdm, openai, requests, rouge_chinese, jieba, transformers (already dependencies here). Shims
(``common.write_shims``): ``transformers.AutoTokenizer.from_pretrained`` returns ``ApproxTokenizer()`` (RAIF's
hard-coded Qwen path does not exist), ``tiktoken.get_encoding`` is offline, and ``_run_multi_urls`` (a symlink out
of RAIF's tree, imported by ``code/run_local_model.py``) is a stub with ``local_urls = {}``.

Pipeline (``run_infer_eval.sh`` after generation): the generation output ``inference/<model>.jsonl`` (the first
``--records`` records of ``/work/shared/benchmarks/cfbench/data/cfbench_data.json``, each with ``q`` = ``prompt`` as
in ``cfbench_data_infer.jsonl`` and the answer under the model id) is converted by RAIF's
``process/convert_jsonl.py`` (answer moved to ``response``, ``infer_model`` added) and judged by ``sh run_eval.sh``
(``python code/evalaute_local.py ...``). Responses: ``replay_snapshot.synthetic``
of the prompt, except a few long ones (``LONG``) that make RAIF cut the answer 100 characters at a time until the
judge prompt is ≤ 14,000 tokens.

Fixture (compact JSON):

- ``benchmark``, ``raif_commit``, ``script``, ``judge_model`` (the ``--eval_model`` sent), ``tokenizer``
  (``"approx"``), ``infer_model``;
- ``responses``: ``{"computed_by", "count", "sha256"}`` — the texts are not stored (no benchmark text in the
  repository): ``responses(data_dir)`` recomputes them from the data, ``sha256`` is ``common.responses_digest``;
- ``items``: {idx: {"judge_score": [str, ...], "judge_parsing": "1" | "0" | "-1",
  "judge_metric": {"CSR": float, "ISR": int, "PSR": int}, "rounds": number of judge requests}};
- ``printed``: RAIF's ``final_score`` (one value each, the list unwrapped): ``CSR_easy ISR_easy PSR_easy CSR_hard
  ISR_hard PSR_hard CSR ISR PSR``;
- ``requests``: {idx: [sha256 of ``common.request_digest`` per request, in the order sent]};
- ``request_examples``: {idx: [request bodies, in the order sent]} for the first two items, each message's
  ``content`` replaced by ``{"sha256", "chars"}`` (``common.sanitise``);
- ``judge_kinds``: {idx: ``paper_judge`` reply kind (hash % 12) of the item's request};
- ``truncated``: {idx: {"chars": length of the response, "sent_chars": length of what RAIF put in the judge
  prompt}} for the responses RAIF cut.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

if not __package__:  # run as a script: make the ``raif_reference`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from raif_reference.common import (FIXTURES, JUDGE_MODEL, RAIF_COMMIT, SHARED, expand, extract_raif,  # noqa: E402
                                   request_digest, require_modules, run_script, run_shell, start_judge,
                                   write_fixture, write_shims)

MODULES = ["arrow", "flask", "xlsxwriter", "openpyxl", "aiohttp", "pandas", "numpy", "tqdm", "openai", "requests",
           "rouge_chinese", "jieba", "transformers"]
SCRIPT = "COMPLEX_INSTRUCTIONS/CFBench/code/evalaute_local.py"
INFER_MODEL = "paper_model"
# idx -> recipe: answers long enough for RAIF's 100-character truncation (> 14,000 approximate tokens)
LONG = {5: {"repeat": "word ", "times": 15000}, 17: {"repeat": "好", "times": 14500},
        42: {"repeat": "1, ", "times": 7200}}
FINAL = re.compile(r"^final_score:(\{.*\})$", re.M)
NUMPY_SCALAR = re.compile(r"np\.(?:float|int)\d*\(([^()]*)\)")


def load_records(data_dir: Path, records: int = 80) -> list[dict]:
    """The first ``records`` records of CFBench's data file under ``data_dir`` (``/work/shared/benchmarks``)."""
    return json.loads((data_dir / "cfbench" / "data" / "cfbench_data.json").read_text(encoding="utf-8"))[:records]


def responses(data_dir: Path, records: int = 80) -> dict[str, str]:
    """{idx: the response RAIF judges} for the first ``records`` records (``LONG`` recipes expanded)."""
    from replay_snapshot import synthetic

    return {str(r["idx"]): expand(LONG[r["idx"]]) if r["idx"] in LONG else synthetic(r["prompt"])
            for r in load_records(data_dir, records)}


def item_of(content: str, keys: dict[str, str]) -> str:
    found = [idx for idx, key in keys.items() if key in content]
    if len(found) != 1:
        raise RuntimeError(f"a judge request matches {len(found)} items: {found[:5]}")
    return found[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=80)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", type=Path, default=FIXTURES / "cfbench.json")
    args = parser.parse_args()
    require_modules(MODULES)
    from paper_judge import _hash

    records = load_records(SHARED, args.records)
    texts = responses(SHARED, args.records)
    judge = start_judge()
    try:
        with tempfile.TemporaryDirectory(prefix="raif-cfbench-") as tmp:
            tmp = Path(tmp)
            tree = extract_raif(tmp / "raif")
            shims = write_shims(tmp / "shims", {"_run_multi_urls": "local_urls = {}\n"})
            bench = tree / "CFBench"
            inferred = bench / "inference" / f"{INFER_MODEL}.jsonl"  # what run_infer.sh leaves
            inferred.parent.mkdir(parents=True)
            lines = [{**r, "q": r["prompt"], INFER_MODEL: texts[str(r["idx"])]} for r in records]
            inferred.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                                encoding="utf-8")
            in_path = bench / "evaluation" / INFER_MODEL / f"{INFER_MODEL}.json"
            run_script(["process/convert_jsonl.py", "--input_path", str(inferred), "--output_path", str(in_path),
                        "--model_id", INFER_MODEL], cwd=bench, shims=shims)
            out_dir = bench / "judgement" / INFER_MODEL / f"judge_{JUDGE_MODEL}"
            stdout = run_shell("run_eval.sh", [INFER_MODEL, str(in_path), JUDGE_MODEL, str(out_dir), judge.url,
                                               str(args.threads)], cwd=bench, shims=shims)
            results = json.loads((out_dir / f"{INFER_MODEL}_eval.json").read_text(encoding="utf-8"))
    finally:
        judge.stop()

    final = ast.literal_eval(NUMPY_SCALAR.sub(r"\1", FINAL.findall(stdout)[-1]))
    printed = {k: v[0] for k, v in final.items() if k not in ("time", "name")}
    keys = {str(r["idx"]): f"\n[用户指令]: {r['prompt']}\n\n[参考答案]: {r['gold']}\n\n[模型答案]: "
            for r in records}
    requests: dict[str, list[str]] = {k: [] for k in keys}
    bodies: dict[str, list[dict]] = {k: [] for k in keys}
    kinds: dict[str, int] = {}
    sent_chars: dict[str, int] = {}
    for entry in judge.log.entries:
        body = entry["body"]
        idx = item_of(body["messages"][-1]["content"], keys)
        requests[idx].append(request_digest(body))
        bodies[idx].append(body)
        kinds.setdefault(idx, _hash(json.dumps(body["messages"], ensure_ascii=False)) % 12)
        sent = body["messages"][-1]["content"].split(keys[idx], 1)[1].rsplit("\n\n[评估标准]: ", 1)[0]
        sent_chars.setdefault(idx, len(sent))
    items = {str(t["idx"]): {"judge_score": t["judge_score"], "judge_parsing": t["judge_parsing"],
                             "judge_metric": t["judge_metric"], "rounds": len(requests[str(t["idx"])])}
             for t in results}
    if len(items) != len(records):
        raise RuntimeError(f"RAIF returned {len(items)} items for {len(records)} records (duplicate idx?)")
    first = [str(r["idx"]) for r in records[:2]]
    golden = {"benchmark": "cfbench", "raif_commit": RAIF_COMMIT, "script": SCRIPT, "judge_model": JUDGE_MODEL,
              "tokenizer": "approx", "infer_model": INFER_MODEL, "responses": texts,
              "items": {k: items[k] for k in keys}, "printed": printed, "requests": requests,
              "request_examples": {k: bodies[k] for k in first}, "judge_kinds": {k: kinds[k] for k in keys},
              "truncated": {k: {"chars": len(texts[k]), "sent_chars": sent_chars[k]} for k in keys
                            if sent_chars[k] != len(texts[k])}}
    size = write_fixture(args.out, golden, Path(__file__).name)

    kind_counts = Counter(kinds.values())
    missing = sorted(set(range(12)) - set(kind_counts))
    parsing = Counter(i["judge_parsing"] for i in items.values())
    rounds = Counter(i["rounds"] for i in items.values())
    errors = Counter(line for line in stdout.splitlines() if line.startswith("ERROR "))
    print(f"wrote {args.out} ({size} bytes): {len(items)} items, {len(judge.log.entries)} judge requests")
    print(f"printed: {printed}")
    print(f"judge kinds: {dict(sorted(kind_counts.items()))}; judge_parsing: {dict(parsing)}; rounds: {dict(rounds)}")
    print(f"parser exceptions RAIF printed: {dict(errors)}; truncated: {golden['truncated']}")
    if missing:
        print(f"WARNING: paper_judge.cfbench kinds never drawn: {missing} (change --records)", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
