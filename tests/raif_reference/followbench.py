"""Regenerate ``tests/fixtures/raif_paper/followbench_en.json``: RAIF's own FollowBench (English) judging, unmodified.

    .venv/bin/python tests/raif_reference/followbench.py [--keep]

What runs: ``COMPLEX_INSTRUCTIONS/FollowBench/eval_en.sh`` after its model inference (the responses are given),
against ``tests/paper_judge.py``'s judge on 127.0.0.1 (model id ``Qwen2.5-72B-INT8``):

1. the raw model outputs ``inference/M/raw/<category>_constraint.jsonl`` are written as RAIF's shared driver writes
   them (each ``data_infer`` line — ``prompt_new``, ``raw``, ``q`` (the Vicuna-wrapped prompt, unused by the
   judging), ``choices`` — plus ``{M: response}``), then ``convert_raw2processed.py --model_id M``;
2. ``code/llm_eval.py`` writes the judge inputs (categories content, situation, style, format, mixed);
3. per category ``sh COMPLEX_INSTRUCTIONS/FollowBench/run_complex.sh IN OUT Qwen2.5-72B-INT8 URL 4`` (question
   type ``q``: ``COMPLEX_INSTRUCTIONS/run_local_model_openai.py``), run from the folder above
   ``COMPLEX_INSTRUCTIONS`` — the only place its relative driver path resolves (``eval_en.sh`` calls it from
   ``FollowBench/``, where that path does not exist);
4. ``convert_raw2processed.py --judge_model_id Qwen2.5-72B-INT8``, then ``code/eval.py``.
Per-item values come from RAIF's own functions on the files ``eval.py`` read (``paring_discriminative_generation``,
``rule_evaluation_*``, ``check_match``), in a separate interpreter.

Data: ``/work/shared/benchmarks/followbench/data/*_constraints.json`` (byte-identical to RAIF's ``data/``), copied
into RAIF's tree. Native id = ``"<file stem>:<0-based position in that file>"``. Responses (every level ≥ 1 record
of the six files; ``example`` is rule-checked and ``eval.py`` needs it): ``replay_snapshot.synthetic(instruction)``;
for a third of the ``example`` records the target template filled with the record's answer, for half of the
rule-checked sources of the judged categories the target itself, so that rules pass as well as fail.

Shims (``common.write_shims``; RAIF's files stay byte-identical): ``transformers.AutoTokenizer.from_pretrained``
returns ``raif_eval.core.tokens.ApproxTokenizer()``; ``_run_multi_urls`` (imported by the driver, absent from the
tree) is an empty stub; ``python3`` on ``PATH`` is this interpreter. Third-party packages RAIF's scripts import,
installed into the venv: openai, flask, aiohttp, xlsxwriter, pandas, tqdm, numpy, matplotlib, plus transformers
(patched).

Fixture (compact JSON, no benchmark text: ``common.sanitise``): ``responses`` ``{"computed_by", "count",
"sha256"}`` (the texts, {native id: text}, are recomputed by ``responses(data_dir)``; ``sha256`` is
``common.responses_digest``); ``items`` {native id: {"by": "judge" | "rule", "hard",
"soft"}} for every level ≥ 1 record (``hard``/``soft`` as RAIF computes them: judged items
``paring_discriminative_generation(reply, level)`` → (0|1, satisfied/level), (-1, -1) when unparseable — summed as
is; rule items (rule sources, format example ids 22 and 30, every ``example`` record) the rule's 0|1 for both);
``printed``: what ``eval.py`` wrote, model key dropped — ``hsr_level`` / ``ssr_level`` (``levelK`` {category: %},
``levelK_avg``), ``hsr_constraints`` / ``ssr_constraints`` ({category: {levelK, avg}}, ``<category>_avg``; HSR's
``level3`` is RAIF's copy of ``level2``), ``csl`` ({category: CSL}, ``csl_avg``), and the rule-based ``example``
CSVs (``example_hsr`` {levelK: "xx.xx%" string as written}, ``example_csl`` float); ``requests`` {native id: [common.request_digest(body)]} for
the judged items; ``request_examples`` {native id: [bodies]} for the first 2 judged items, each message's ``content``
replaced by ``{"sha256", "chars"}``; ``judge_model``;
``model_id``.
"""

from __future__ import annotations

import argparse
import ast
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
                                   read_jsonl, release, request_digest, require_modules, run_script, run_shell,
                                   start_judge, write_fixture, write_shims)

MODULES = ["openai", "flask", "aiohttp", "xlsxwriter", "pandas", "tqdm", "numpy", "matplotlib", "transformers"]
DATA = Path("followbench") / "data"  # under the data dir
CATEGORIES = ["content", "situation", "style", "format", "example", "mixed"]
JUDGED = ["content", "situation", "style", "format", "mixed"]
MODEL_ID = "paper-model"
RULE_SOURCES = ["E2E", "WIKIEVENTS", "CONLL2003", "text_editing", "cnn_dailymail", "xsum", "samsum", "gigaword",
                "arxiv", "BBH_logical", "BBH_time", "self_made_space", "gsm_8k"]  # gpt4_based_evaluation.py's list
VICUNA = ("A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, "
          "detailed, and polite answers to the user's questions. USER: {} ASSISTANT:")
STUBS = {"_run_multi_urls": '"""Stub: run_local_model_openai.py imports this module (absent from the tree)."""\n'}

PER_ITEM = r'''
import json, sys
sys.path.insert(0, "code")
from gpt4_based_evaluation import paring_discriminative_generation
import rule_based_evaluation as rules
from utils import data_match_api_output

args = json.loads(sys.argv[1])
rule_sources, model = args["rule_sources"], args["model"]
items = {}
for ctype in args["judged"]:
    data = data_match_api_output("data", args["api_output_path"], ctype, model)
    judged = [json.loads(l) for l in open(f"{args['eval_input']}/{model}_{ctype}_constraint.jsonl", encoding="utf-8")]
    replies = {}
    for l in open(f"{args['eval_output']}/{model}_{ctype}_constraint.jsonl", encoding="utf-8"):
        line = json.loads(l)
        replies.setdefault(line["prompt_new"], line["choices"][0]["message"]["content"])
    queue = iter(judged)
    for i, d in enumerate(data):
        if d["level"] == 0:
            continue
        key = f"{ctype}_constraints:{i}"
        if d["source"] in rule_sources:
            ok = int(getattr(rules, f"rule_evaluation_{d['source']}")(d["generation"], d["target"], d["level"]))
            items[key] = {"by": "rule", "hard": ok, "soft": ok}
        elif d["category"] == "format" and d["example_id"] in [22, 30]:
            ok = int(rules.rule_evaluation_format(d["generation"], d["example_id"], d["level"]))
            items[key] = {"by": "rule", "hard": ok, "soft": ok}
        else:
            line = next(queue)
            assert (line["example_id"], line["level"]) == (d["example_id"], d["level"]), key
            hard, soft = paring_discriminative_generation(replies[line["prompt_new"]], d["level"])
            items[key] = {"by": "judge", "hard": hard, "soft": soft, "prompt": line["prompt_new"]}
    assert next(queue, None) is None
data = json.load(open("data/example_constraints.json", encoding="utf-8"))
outputs = {}
for l in open(f"{args['api_output_path']}/{model}_example_constraint.jsonl", encoding="utf-8"):
    line = json.loads(l)
    outputs.setdefault(line["prompt_new"], line["choices"][0]["message"]["content"])
for i, d in enumerate(data):
    ok = int(rules.check_match(d["target"].replace("{instruction}\n", ""), outputs[d["instruction"]]))
    items[f"example_constraints:{i}"] = {"by": "rule", "hard": ok, "soft": ok}
with open(args["out"], "w", encoding="utf-8") as fh:
    json.dump(items, fh, ensure_ascii=False)
'''


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), 16)


def response_for(record: dict) -> str:
    from replay_snapshot import synthetic

    h = _hash(record["instruction"])
    if record["category"] == "example" and h % 3 == 0:  # the template filled in: check_match passes
        template = record["target"].replace("{instruction}\n", "").replace("{{", "{").replace("}}", "}")
        return template.replace("{answer}", str(record.get("answer", "")).replace("\n", " "))
    if record["source"] in RULE_SOURCES and h % 2 == 0 and record["target"]:
        try:
            options = ast.literal_eval(record["target"])
        except (ValueError, SyntaxError):
            options = None
        return options[0] if isinstance(options, list) and options and isinstance(options[0], str) else record["target"]
    return synthetic(record["instruction"])


def load_records(data_dir: Path, ctype: str) -> list[dict]:
    """Every record of ``followbench/data/<ctype>_constraints.json`` under ``data_dir``."""
    return json.loads((data_dir / DATA / f"{ctype}_constraints.json").read_text(encoding="utf-8"))


def responses(data_dir: Path) -> dict[str, str]:
    """{native id: the response RAIF judges} for every level >= 1 record of the six categories under ``data_dir``
    (``/work/shared/benchmarks``), in category and file order."""
    return {f"{ctype}_constraints:{i}": response_for(record) for ctype in CATEGORIES
            for i, record in enumerate(load_records(data_dir, ctype)) if record["level"] > 0}


def raw_line(record: dict, response: str) -> dict:
    """A line of RAIF's raw model output: the data_infer line plus {model id: response}."""
    return {"prompt_new": record["instruction"], "raw": record, "q": VICUNA.format(record["instruction"]),
            "choices": [{"message": {"content": ""}}], MODEL_ID: response}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=FIXTURES / "followbench_en.json")
    parser.add_argument("--keep", action="store_true", help="keep (and print) the working directory")
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()
    require_modules(MODULES)

    work = Path(tempfile.mkdtemp(prefix="raif-ref-followbench-"))
    try:
        tree = work / "raif"
        bench = extract_raif(tree, "COMPLEX_INSTRUCTIONS/FollowBench").resolve()
        extract_raif(tree, "COMPLEX_INSTRUCTIONS/run_local_model_openai.py")
        tree = tree.resolve()
        for path in (SHARED / DATA).glob("*_constraints.json"):
            shutil.copyfile(path, bench / "data" / path.name)
        shims = write_shims(work / "shims", STUBS, patches=("tokenizers",))

        texts = responses(SHARED)
        raw_dir = bench / "inference" / MODEL_ID / "raw"
        raw_dir.mkdir(parents=True)
        for ctype in CATEGORIES:
            lines = [raw_line(record, texts[f"{ctype}_constraints:{i}"])
                     for i, record in enumerate(load_records(SHARED, ctype)) if record["level"] > 0]
            vendored = bench / "data_infer" / f"{ctype}_constraint.jsonl"
            if vendored.exists():  # RAIF's own inference inputs: the same lines, less the answer
                assert read_jsonl(vendored) == [{k: v for k, v in l.items() if k != MODEL_ID} for l in lines], ctype
            (raw_dir / f"{ctype}_constraint.jsonl").write_text(
                "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines), encoding="utf-8")

        ev = bench / "evaluation" / MODEL_ID
        judged_by = ev / f"judged_by_{JUDGE_MODEL}"
        dirs = {name: judged_by / name for name in ("tobeinfered", "infered", "infered_processed",
                                                     "evaluation_final")}
        processed = bench / "inference" / MODEL_ID / "processed"
        for d in [processed, ev / "gpt4_discriminative_eval_input", ev / "data_gpt4_discriminative_eval_input",
                  *dirs.values()]:
            d.mkdir(parents=True, exist_ok=True)
        run_script(["convert_raw2processed.py", "--input_path_local", str(raw_dir), "--output_path", str(processed),
                    "--model_id", MODEL_ID], bench, shims)
        run_script(["code/llm_eval.py", "--api_output_path", str(processed),
                    "--gpt4_discriminative_eval_output_path", str(dirs["tobeinfered"]), "--model_path", MODEL_ID,
                    "--gpt4_discriminative_eval_input_path", str(ev / "gpt4_discriminative_eval_input"),
                    "--data_gpt4_discriminative_eval_input_path", str(ev / "data_gpt4_discriminative_eval_input")],
                   bench, shims)
        judge = start_judge(model=JUDGE_MODEL)
        try:
            for path in sorted(dirs["tobeinfered"].glob("*")):
                run_shell("COMPLEX_INSTRUCTIONS/FollowBench/run_complex.sh",
                          [str(path), str(dirs["infered"] / path.name), JUDGE_MODEL, judge.url, str(args.batch_size)],
                          tree, shims)
        finally:
            judge.stop()
        run_script(["convert_raw2processed.py", "--input_path_local", str(dirs["infered"]), "--output_path",
                    str(dirs["infered_processed"]), "--judge_model_id", JUDGE_MODEL], bench, shims)
        run_script(["code/eval.py", "--model_paths", MODEL_ID, "--api_output_path", str(processed),
                    "--gpt4_discriminative_eval_output_path", str(dirs["infered_processed"]),
                    "--data_gpt4_discriminative_eval_input_path", str(ev / "data_gpt4_discriminative_eval_input"),
                    "--evaluation_result_path", str(dirs["evaluation_final"])], bench, shims)

        per_item = work / "per_item.json"
        run_script(["-c", PER_ITEM, json.dumps({
            "rule_sources": RULE_SOURCES, "model": MODEL_ID, "judged": JUDGED, "api_output_path": str(processed),
            "eval_input": str(ev / "data_gpt4_discriminative_eval_input"),
            "eval_output": str(dirs["infered_processed"]), "out": str(per_item)})], bench, shims)
        items = json.loads(per_item.read_text(encoding="utf-8"))

        final = dirs["evaluation_final"]
        printed = {
            "hsr_level": json.loads((final / "hsr_results_by_models_level.json").read_text())[MODEL_ID],
            "ssr_level": json.loads((final / "ssr_results_by_models_level.json").read_text())[MODEL_ID],
            "hsr_constraints": json.loads((final / "hsr_results_by_models_constraints.json").read_text())[MODEL_ID],
            "ssr_constraints": json.loads((final / "ssr_results_by_models_constraints.json").read_text())[MODEL_ID],
            "csl": json.loads((final / "csl_results_by_models.json").read_text())[MODEL_ID],
            "example_hsr": {k.replace(" ", ""): v for k, v in read_csv(final / "example_rule_based.csv")[0].items()
                            if k != "model_name"},
            "example_csl": float(read_csv(final / "example_csl.csv")[0]["CSL"]),
        }

        by_prompt = {v.pop("prompt"): k for k, v in items.items() if "prompt" in v}
        requests: dict[str, list[str]] = {k: [] for k in by_prompt.values()}
        order = list(requests)
        examples: dict[str, list[dict]] = {k: [] for k in order[:2]}
        for entry in judge.log.entries:
            body = entry["body"]
            key = by_prompt[body["messages"][-1]["content"]]
            requests[key].append(request_digest(body))
            if key in examples:
                examples[key].append(body)
    finally:
        release(work, args.keep)

    check_every_item_asked(requests)
    assert set(items) == set(texts)
    golden = {"benchmark": "followbench en (RAIF COMPLEX_INSTRUCTIONS/FollowBench eval_en.sh, 3986069)",
              "judge_model": JUDGE_MODEL, "model_id": MODEL_ID, "printed": printed, "items": items,
              "requests": requests, "request_examples": examples, "responses": texts}
    size = write_fixture(args.out, golden, Path(__file__).name)
    judged = [v for v in items.values() if v["by"] == "judge"]
    print(f"HSR level avgs: {[printed['hsr_level'][f'level{k}_avg'] for k in range(1, 6)]}")
    print(f"SSR level avgs: {[printed['ssr_level'][f'level{k}_avg'] for k in range(1, 6)]}")
    print(f"items: {len(items)} ({len(judged)} judged, {sum(v['hard'] == -1 for v in judged)} unparsed), "
          f"requests per judged item: {dict(Counter(len(v) for v in requests.values()))}")
    print(f"wrote {args.out} ({size} bytes)")


if __name__ == "__main__":
    main()
