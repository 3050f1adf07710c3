"""Regenerate ``tests/fixtures/raif_paper/infobench.json`` by running RAIF's own, unmodified InfoBench judging
pipeline (yuleiqin/RAIF @ 3986069, ``COMPLEX_INSTRUCTIONS/InfoBench/eval.sh`` after generation) against the paper
judge (``tests/paper_judge.py`` served by ``tests/fake_judge.py``). A developer tool, not a pytest test::

    .venv/bin/python tests/raif_reference/infobench.py [--out PATH]

The three steps of ``eval.sh``, each RAIF's script run as is:

1. ``InfoBench/evaluation.py --compute_metric 0`` writes one line per (prompt, question) with the judge
   ``conversations`` (``<judge dir>/<judge>/<model>_DecomposeEval.json``);
2. ``eval.sh`` then calls ``run_complex2.sh``, which is not in the repository; in its place RAIF's shared driver
   ``COMPLEX_INSTRUCTIONS/run_local_model_openai.py`` with ``--question_type conversations`` and ``--model_id
   Qwen2.5-72B-INT8`` (``eval.sh``'s default judge id), the other options as in ``run_complex.sh``;
3. ``InfoBench/evaluation.py --compute_metric 1`` on the driver's output writes ``*_final.jsonl`` (per-prompt
   ``eval``) and ``*_final.jsonl_score.jsonl`` (the numbers).

Input of step 1: what ``run_complex.sh`` leaves in ``infer/<model>/<model>.jsonl`` — every record of
``/work/shared/benchmarks/infobench/InfoBench.json`` (JSON lines, file order) with ``prompt`` (instruction.strip(),
then a blank line and the input when there is one) and the answer under the model id. Answers:
``replay_snapshot.synthetic`` of the prompt, except ``LONG`` (over 12,000 tokens, cut by RAIF 1,000 characters at a
time).

Needs the RAIF mirror (``/work/.mirror/yuleiqin+RAIF/repo`` or ``$RAIF_MIRROR``) and RAIF's imports in this venv:
flask, xlsxwriter (``pip install flask xlsxwriter``), plus aiohttp, pandas, tqdm, openai, requests, tiktoken,
transformers. Shims (``common.write_shims``): ``transformers.AutoTokenizer.from_pretrained`` returns
``ApproxTokenizer()`` (RAIF's tokenizer paths do not exist; it has no ``apply_chat_template``, so
``evaluation.count_token`` falls back to ``encode``, as RAIF's does for a plain string), ``tiktoken.get_encoding``
is offline (``cl100k_base`` is built at import and never used), ``_run_multi_urls`` (imported by the driver, not in
the tree) is a stub with ``local_urls = {}``.

Fixture (compact JSON):

- ``benchmark``, ``raif_commit``, ``scripts``, ``judge_model``, ``tokenizer`` (``"approx"``), ``model_id``;
- ``responses``: ``{"computed_by", "count", "sha256"}`` — the texts are not stored (no benchmark text in the
  repository): ``responses(data_dir)`` recomputes them from the data, ``sha256`` is ``common.responses_digest``;
- ``items``: {id: [True | False | None, ...]} — RAIF's ``eval`` list, one per decomposed question;
- ``printed``: the ``_score.jsonl`` dict as written: ``overall``, ``count`` {"true", "false"},
  ``prompt_total_count``, ``instruction_level_easy_true``, ``prompt_level_easy_true``,
  ``instruction_level_hard_true``, ``prompt_level_hard_true``, ``instruction_level_all_true``,
  ``prompt_level_all_true``;
- ``requests``: {id: [sha256 of ``common.request_digest`` per request]} in question order (the driver sends the
  questions of all prompts concurrently, one request per question, so arrival order is not RAIF's);
- ``request_examples``: {id: [request bodies, in question order]} for the first two records, each message's
  ``content`` replaced by ``{"sha256", "chars"}`` (``common.sanitise``);
- ``truncated``: {id: {"chars": answer length, "sent_chars": length RAIF put in the judge turn}}.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

if not __package__:  # run as a script: make the ``raif_reference`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from raif_reference.common import (FIXTURES, JUDGE_MODEL, RAIF_COMMIT, SHARED, expand, extract_raif,  # noqa: E402
                                   read_jsonl, request_digest, require_modules, run_script, start_judge,
                                   write_fixture, write_shims)

MODULES = ["flask", "xlsxwriter", "aiohttp", "pandas", "tqdm", "openai", "requests", "tiktoken", "transformers"]
SCRIPTS = ["COMPLEX_INSTRUCTIONS/InfoBench/evaluation.py", "COMPLEX_INSTRUCTIONS/run_local_model_openai.py"]
MODEL_ID = "paper_model"
LONG = {"user_oriented_task_50": {"repeat": "word ", "times": 15000},
        "domain_oriented_task_3": {"repeat": "a, ", "times": 7000},
        "user_oriented_task_100": {"repeat": "words and more words ", "times": 3500}}


def prompt(record: dict) -> str:
    instruction = record["instruction"].strip()
    return f"{instruction}\n\n{record['input']}" if record["input"] else instruction


def load_records(data_dir: Path) -> list[dict]:
    """Every record of ``infobench/InfoBench.json`` under ``data_dir`` (``/work/shared/benchmarks``)."""
    records = read_jsonl(data_dir / "infobench" / "InfoBench.json")
    ids = [r["id"] for r in records]
    if len(set(ids)) != len(ids):
        raise RuntimeError("duplicate ids in InfoBench.json")
    missing = sorted(set(LONG) - set(ids[2:]))
    if missing:  # the first two records' requests are the stored examples: keep them short
        raise RuntimeError(f"LONG names unknown ids or one of the first two: {missing}")
    return records


def responses(data_dir: Path) -> dict[str, str]:
    """{id: the answer RAIF judges} for every record (``LONG`` recipes expanded)."""
    from replay_snapshot import synthetic

    return {r["id"]: expand(LONG[r["id"]]) if r["id"] in LONG else synthetic(prompt(r))
            for r in load_records(data_dir)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--out", type=Path, default=FIXTURES / "infobench.json")
    args = parser.parse_args()
    require_modules(MODULES)
    records = load_records(SHARED)
    ids = [r["id"] for r in records]
    texts = responses(SHARED)
    judge = start_judge()
    try:
        with tempfile.TemporaryDirectory(prefix="raif-infobench-") as tmp:
            tmp = Path(tmp)
            tree = extract_raif(tmp / "raif")
            shims = write_shims(tmp / "shims", {"_run_multi_urls": "local_urls = {}\n"})
            bench = tree / "InfoBench"
            answers = bench / "infer" / MODEL_ID / f"{MODEL_ID}.jsonl"
            answers.parent.mkdir(parents=True)
            answers.write_text("".join(json.dumps({**r, "prompt": prompt(r), MODEL_ID: texts[r["id"]]},
                                                  ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
            judge_dir = answers.parent / f"judge_by_{JUDGE_MODEL}"
            judge_dir.mkdir()
            common_args = ["--model", JUDGE_MODEL, "--model_url", judge.url, "--output_dir", str(judge_dir),
                           "--temperature", "0", "--batch_size", str(args.batch_size)]
            run_script(["evaluation.py", *common_args, "--input", str(answers), "--compute_metric", "0"],
                       cwd=bench, shims=shims)
            conversations = judge_dir / JUDGE_MODEL / f"{MODEL_ID}_DecomposeEval.json"
            judged = judge_dir / JUDGE_MODEL / f"{MODEL_ID}_DecomposeEval_ans.jsonl"
            lines = read_jsonl(conversations)
            run_script([str(tree / "run_local_model_openai.py"), "--input_path", str(conversations),
                        "--input_file_type", "jsonl", "--save_path", str(judged), "--model_id", JUDGE_MODEL,
                        "--model_url", judge.url, "--question_type", "conversations", "--qkey", "conversations",
                        "--save_freq", "10", "--batch_size", str(args.batch_size), "--max_tokens", "2048",
                        "--top_k", "1", "--temperature", "0", "--cot_model_id", "N/A", "--cot_model_url", "N/A",
                        "--resume"], cwd=bench, shims=shims)
            stdout = run_script(["evaluation.py", *common_args, "--input", str(judged), "--compute_metric", "1"],
                                cwd=bench, shims=shims)
            final = read_jsonl(judged.with_name(judged.stem + "_final.jsonl"))
            printed = json.loads(Path(str(judged.with_name(judged.stem + "_final.jsonl")) + "_score.jsonl")
                                 .read_text(encoding="utf-8"))
    finally:
        judge.stop()

    where: dict[str, tuple[str, int]] = {}
    for line in lines:
        key = json.dumps(line["conversations"], ensure_ascii=False)
        if key in where:
            raise RuntimeError(f"identical judge conversations for {where[key]} and {line['id']}")
        where[key] = (line["id"], line["question_idx"])
    sent: dict[tuple[str, int], list[dict]] = {}
    for entry in judge.log.entries:
        body = entry["body"]
        sent.setdefault(where[json.dumps(body["messages"], ensure_ascii=False)], []).append(body)
    requests: dict[str, list[str]] = {i: [] for i in ids}
    bodies: dict[str, list[dict]] = {i: [] for i in ids}
    for key in sorted(sent, key=lambda k: (ids.index(k[0]), k[1])):
        requests[key[0]] += [request_digest(b) for b in sent[key]]
        bodies[key[0]] += sent[key]
    items = {}
    for entry in final:
        items.setdefault(entry["id"], entry["eval"])
    truncated = {}
    for line in lines:
        if line["question_idx"] == 0:
            text = line["conversations"][0]["content"]
            n = len(text.split('Generated Text:\n"', 1)[1].rsplit('"\n\nQuestion:\n', 1)[0])
            if n != len(texts[line["id"]]):
                truncated[line["id"]] = {"chars": len(texts[line["id"]]), "sent_chars": n}
    golden = {"benchmark": "infobench", "raif_commit": RAIF_COMMIT, "scripts": SCRIPTS, "judge_model": JUDGE_MODEL,
              "tokenizer": "approx", "model_id": MODEL_ID, "responses": texts,
              "items": {i: items[i] for i in ids}, "printed": printed, "requests": requests,
              "request_examples": {i: bodies[i] for i in ids[:2]}, "truncated": truncated}
    size = write_fixture(args.out, golden, Path(__file__).name)
    per_question = sorted({len(v) for v in sent.values()})
    print(f"wrote {args.out} ({size} bytes): {len(items)} items, {len(judge.log.entries)} judge requests "
          f"({len(lines)} questions; requests per question {per_question})")
    print(f"printed: {printed}")
    print(f"truncated: {truncated}")
    print("\n".join(line for line in stdout.splitlines() if line.startswith(("Percentage", "{"))))


if __name__ == "__main__":
    main()
