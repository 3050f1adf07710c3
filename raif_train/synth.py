"""``raif-train synth``: complex instructions with verifiable And / Chain / Selection constraints, reproducibly.

RAIF's three steps, with open prompts:

1. **Seeds** (:func:`load_seeds`): plain instructions from JSONL, JSON or a ``datasets.save_to_disk`` folder;
   deduplicated (case and whitespace folded), filtered by length and language, sampled with a seed.
2. **Composition** (:func:`compose`): a tree whose leaves hold rule constraints (the synthesis types of the
   verifier registry, :data:`raif_eval.verifiers.SYNTHESIS`: IFEval's instructions plus ComplexBench's and CELLO's
   rule types, parameters sampled, each worded beside the check that scores it) and judge-checked constraints
   (scoring questions), composed as **And** (all apply), **Chain** (ordered steps, checked by a scoring question;
   the rules below it apply to the whole answer) and **Selection** (if a condition on the seed holds, one branch
   applies, else the other; the condition is decided here, so only the branch that applies is scored), nested to
   ``max_depth``. The tree is rendered by a deterministic Jinja2 template (``templates/synth_<lang>.jinja``) and,
   when an LLM endpoint is given, rewritten into natural prose by it (``templates/rewrite.jinja``).
3. **Quality check** (:func:`quality_check`, optional): a reference model answers each instruction without
   reasoning; the shared verifiers and the judge count the constraints it meets; records outside
   ``[min_reference, max_reference]`` (fraction met) are dropped, the count is stored as ``reference_score``
   (the trainer's offline contrast reference).

A record is a RAIF training row (``input`` templated for the policy when a tokenizer is given, ``task``,
``target`` with ``instruction_id_list``/``kwargs`` and ``scoring_questions``) plus ``instruction``, ``structure``
(composition, kinds, depth, the tree, and ``taxonomy``: its checks in raif-eval's constraint taxonomy, as the
evaluation logs them, so the types the data covers can be set against where a model fails) and ``provenance``
(seed id, generator, templates, random seed). Every record draws from its own generator seeded by (seed, seed
id), LLM replies are cached, and output is written with sorted keys: the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from raif_eval import modes, verifiers
from raif_eval.benchmarks import ifeval
from raif_eval.core import taxonomy
from raif_eval.judge.runner import complete_all
from raif_train import bank as banks
from raif_train.bank import TEMPLATES
from raif_train.rewards import ifeval_record

KINDS = ("And", "Chain", "Selection")
SEED_FIELDS = ("instruction", "prompt", "text", "input", "question")


# ------------------------------------------------------------------------------------------------------ seeds


@dataclass(frozen=True)
class Seed:
    id: str
    text: str
    lang: str


def _seed_rows(path: Path) -> list[tuple[str, Any]]:
    if path.is_dir():
        import datasets

        return [(str(i), row) for i, row in enumerate(datasets.load_from_disk(str(path)))]
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return [(str(i), row) for i, row in enumerate(json.loads(text))]
    return [(str(i), json.loads(line)) for i, line in enumerate(text.splitlines()) if line.strip()]


def load_seeds(path: str | Path, n: int | None = None, seed: int = 0, field: str | None = None,
               min_chars: int = 8, max_chars: int = 2000, languages: Iterable[str] = ("en", "zh")) -> list[Seed]:
    """Plain instructions from ``path``: deduplicated, filtered, and ``n`` of them sampled with ``seed``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"seed file {path} does not exist")
    languages = tuple(languages)
    seen, seeds = set(), []
    for index, row in _seed_rows(path):
        if isinstance(row, str):
            text, sid = row, f"{path.stem}:{index}"
        else:
            name = field or next((f for f in SEED_FIELDS if isinstance(row.get(f), str)), None)
            if name is None or not isinstance(row.get(name), str):
                raise ValueError(f"{path} row {index}: no instruction text (fields tried: {field or SEED_FIELDS})")
            text, sid = row[name], str(row.get("id", f"{path.stem}:{index}"))
        text = text.strip()
        folded = " ".join(text.lower().split())
        if folded in seen or not min_chars <= len(text) <= max_chars:
            continue
        lang = modes.language(text)
        if lang not in languages:
            continue
        seen.add(folded)
        seeds.append(Seed(sid, text, lang))
    if n is not None and n < len(seeds):
        keep = sorted(random.Random(seed).sample(range(len(seeds)), n))
        seeds = [seeds[i] for i in keep]
    return seeds


# ------------------------------------------------------------------------------------------------ composition


def _leaf(rng: random.Random, lang: str, used: set[str], n_rules: int, n_questions: int) -> dict[str, Any]:
    options = [c for c in verifiers.synthesis_types(lang) if c.group not in used]
    rules = []
    for kind in rng.sample(options, min(n_rules, len(options))):
        used.add(kind.group)
        kwargs = kind.sample(rng, lang, banks.load()[lang])
        rules.append({"type": kind.key(), "id": kind.id, "kwargs": kwargs, "text": kind(**kwargs).describe(lang)})
    pool = [q for q in banks.load()[lang]["questions"] if q["question"] not in used]
    questions = rng.sample(pool, min(n_questions, len(pool)))
    used.update(q["question"] for q in questions)
    return {"kind": "leaf", "rules": rules, "questions": [dict(q) for q in questions]}


def _condition(rng: random.Random, lang: str, seed_text: str) -> dict[str, Any]:
    spec = dict(rng.choice(banks.load()[lang]["conditions"]))
    if spec["kind"] == "longer_than":
        n = rng.choice(spec["thresholds"])
        size = len(seed_text.split()) if lang == "en" else len(re.sub(r"\s", "", seed_text))
        return {"text": spec["text"].format(n=n), "holds": size > n}
    if spec["kind"] == "has_digit":
        return {"text": spec["text"], "holds": any(c.isdigit() for c in seed_text)}
    return {"text": spec["text"], "holds": seed_text.rstrip().endswith(("?", "？"))}


def _node(rng, lang, seed_text, depth, kinds, used, n_rules, n_questions) -> dict[str, Any]:
    if depth == 0:
        return _leaf(rng, lang, used, n_rules, n_questions)
    kind = rng.choice(kinds)
    child = lambda: _node(rng, lang, seed_text, depth - 1, kinds, used, n_rules, n_questions)  # noqa: E731
    if kind == "And":
        return {"kind": "And", "children": [child(), child()]}
    if kind == "Chain":
        steps = banks.load()[lang]["steps"]
        picked = sorted(rng.sample(range(len(steps)), rng.choice([2, 3])))
        return {"kind": "Chain", "steps": [dict(steps[i]) for i in picked], "body": child()}
    return {"kind": "Selection", "condition": _condition(rng, lang, seed_text), "then": child(), "else": child()}


def compose(seed: Seed, rng: random.Random, kinds: tuple[str, ...] = KINDS, max_depth: int = 2,
            n_rules: int = 2, n_questions: int = 1) -> dict[str, Any]:
    """The constraint tree of one record (depth drawn from 1..max_depth)."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown composition kinds {sorted(unknown)}; use {', '.join(KINDS)}")
    depth = rng.randint(1, max_depth)
    return _node(rng, seed.lang, seed.text, depth, tuple(kinds), set(), n_rules, n_questions)


def tree_depth(node: dict[str, Any]) -> int:
    children = _children(node)
    return 0 if node["kind"] == "leaf" else 1 + max(tree_depth(c) for c in children)


def _children(node: dict[str, Any]) -> list[dict[str, Any]]:
    return {"leaf": [], "And": node.get("children", []), "Chain": [node.get("body")],
            "Selection": [node.get("then"), node.get("else")]}[node["kind"]]


def _kinds(node: dict[str, Any]) -> set[str]:
    own = set() if node["kind"] == "leaf" else {node["kind"]}
    return own.union(*(_kinds(c) for c in _children(node)))


def active(node: dict[str, Any], lang: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The rule constraints and scoring questions that apply (Selection: the branch whose condition holds)."""
    if node["kind"] == "leaf":
        return list(node["rules"]), [q["question"] for q in node["questions"]]
    if node["kind"] == "Selection":
        holds = node["condition"]["holds"]
        rules, questions = active(node["then"] if holds else node["else"], lang)
        return rules, [_selection_question(node["condition"], lang), *questions]
    rules, questions = [], []
    if node["kind"] == "Chain":
        questions.append(_chain_question(node["steps"], lang))
    for child in _children(node):
        r, q = active(child, lang)
        rules += r
        questions += q
    return rules, questions


def active_types(node: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, taxonomy type) of each scoring question :func:`active` gives, in its order: a bank question has its
    own ``type``; the questions on a Chain's steps and a Selection's branch are ``content``."""
    if node["kind"] == "leaf":
        return [("scoring question", q.get("type") or taxonomy.UNMAPPED) for q in node["questions"]]
    if node["kind"] == "Selection":
        return [("selection branch", "content"), *active_types(node["then"] if node["condition"]["holds"]
                                                               else node["else"])]
    own = [("chain steps", "content")] if node["kind"] == "Chain" else []
    return own + [t for child in _children(node) for t in active_types(child)]


def structure_taxonomy(tree: dict[str, Any], rules: list[dict[str, Any]],
                       questions: list[str]) -> dict[str, Any]:
    """A record's checks in the constraint taxonomy: its composition (one kind, or ``nested``), depth and, per
    check, the label, type and source the evaluation's per-check records carry."""
    kinds = _kinds(tree)
    checks = [{"check": f"rule:{i}", "labels": [r["type"]], "source": "rule",
               "types": [verifiers.SYNTHESIS_BY_KEY[r["type"]].taxonomy_type or taxonomy.UNMAPPED]
               if r["type"] in verifiers.SYNTHESIS_BY_KEY else [taxonomy.UNMAPPED]}
              for i, r in enumerate(rules)]
    checks += [{"check": f"question:{i}", "labels": [label], "source": "judge", "types": [kind]}
               for i, (label, kind) in enumerate(active_types(tree)[:len(questions)])]
    return {"version": taxonomy.VERSION, "composition": kinds.pop() if len(kinds) == 1 else "nested",
            "depth": tree_depth(tree), "checks": checks}


def _chain_question(steps: list[dict[str, str]], lang: str) -> str:
    parts = [s["question"] for s in steps]
    if lang == "zh":
        return "回答是否依次" + "，然后".join(parts) + "？"
    order = ["first " + parts[0]] + ["then " + p for p in parts[1:-1]] + ["finally " + parts[-1]]
    return "Does the response " + ", ".join(order) + ", in this order?"


def _selection_question(condition: dict[str, Any], lang: str) -> str:
    if lang == "zh":
        state = "成立" if condition["holds"] else "不成立"
        return f"对这个请求而言，条件“{condition['text']}”{state}。回答是否遵循了这种情况下的要求？"
    state = "holds" if condition["holds"] else "does not hold"
    return (f"For this request the condition \"{condition['text']}\" {state}. Does the response follow the "
            "instructions given for that case?")


# -------------------------------------------------------------------------------------------------- rendering


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False,
                              keep_trailing_newline=False, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)


def render(seed: Seed, tree: dict[str, Any]) -> str:
    """The deterministic instruction text: the seed, then the constraint tree in words."""
    return _environment().get_template(f"synth_{seed.lang}.jinja").render(seed=seed.text, tree=tree).strip()


def rewrite_messages(instruction: str, lang: str) -> list[dict[str, str]]:
    text = _environment().get_template("rewrite.jinja").render(instruction=instruction, lang=lang).strip()
    return [{"role": "user", "content": text}]


# -------------------------------------------------------------------------------------------------- records


def record(seed: Seed, random_seed: int, kinds=KINDS, max_depth: int = 2, n_rules: int = 2,
           n_questions: int = 1) -> dict[str, Any]:
    """One synthesised record (without the LLM rewrite, the templating and the quality check)."""
    rng = random.Random(f"{random_seed}:{seed.id}")
    tree = compose(seed, rng, kinds, max_depth, n_rules, n_questions)
    rules, questions = active(tree, seed.lang)
    instruction = render(seed, tree)
    target: dict[str, Any] = {"instruction_id_list": [r["id"] for r in rules], "kwargs": [r["kwargs"] for r in rules]}
    if questions:
        target["scoring_questions"] = questions
    return {
        "instruction": instruction,
        "task": "complex" if questions else "ifeval",
        "target": target,
        "structure": {"composition": tree["kind"], "kinds": sorted(_kinds(tree)), "depth": tree_depth(tree),
                      "tree": tree, "taxonomy": structure_taxonomy(tree, rules, questions)},
        "provenance": {"seed_id": seed.id, "seed": seed.text, "lang": seed.lang, "random_seed": random_seed,
                       "generator": "template", "template": f"synth_{seed.lang}.jinja"},
    }


def checkable(rec: dict[str, Any]) -> bool:
    """Whether every rule constraint of a record builds in the verifiers (it raises otherwise)."""
    checks = ifeval.build_checks(ifeval_record(rec["target"], rec["instruction"]), "training")
    return len(checks) == len(rec["target"]["instruction_id_list"])


def rewrite_all(records: list[dict[str, Any]], config) -> None:
    """Let an LLM phrase each instruction naturally (cached, greedy); a failed request keeps the template text."""
    replies = complete_all(config, [(rewrite_messages(r["instruction"], r["provenance"]["lang"]),
                                     {"temperature": 0, "seed": r["provenance"]["random_seed"]}) for r in records],
                           desc="rewriting instructions")
    for rec, reply in zip(records, replies):
        if reply.text and reply.text.strip():
            rec["instruction"] = reply.text.strip()
            rec["provenance"].update(generator=config.model, template="rewrite.jinja")
        else:
            rec["provenance"]["rewrite_failed"] = reply.error or "empty reply"


def quality_check(records: list[dict[str, Any]], config, min_reference: float = 0.0,
                  max_reference: float = 1.0, judge: Any = None) -> list[dict[str, Any]]:
    """Reference answers without reasoning, scored by the shared verifiers and ``judge`` (a
    :class:`~raif_train.judge.YesNoJudge`; None: the ``RAIF_JUDGE_*`` variables'); keep by fraction met."""
    from raif_eval.judge.runner import run_sync
    from raif_train import judge as yes_no

    replies = complete_all(config, [([{"role": "user", "content": r["instruction"]}], {"temperature": 0})
                                    for r in records], desc="reference answers")
    asks = []
    for i, (rec, reply) in enumerate(zip(records, replies)):
        questions = rec["target"].get("scoring_questions") or []
        if reply.text is not None and questions:
            asks.append((i, [yes_no.messages(rec["instruction"], reply.text, q) for q in questions]))
    judge = judge if judge is not None else yes_no.YesNoJudge()
    verdicts, _failed = run_sync(judge.ask_all(asks))
    kept = []
    for i, (rec, reply) in enumerate(zip(records, replies)):
        if reply.text is None:
            continue  # no reference answer: the record cannot be checked
        spec = rec["target"]
        rules = ifeval.strict(ifeval_record(spec, rec["instruction"]), reply.text, "training")
        met = sum(rules) + sum(verdicts.get(i, []))
        n = len(rules) + len(spec.get("scoring_questions") or [])
        rec["target"]["reference_score"] = met
        rec["provenance"]["reference_model"] = config.model
        if n and min_reference <= met / n <= max_reference:
            kept.append(rec)
    return kept


def finish(rec: dict[str, Any], tokenizer: Any = None) -> dict[str, Any]:
    """The record as written: a RAIF training row when a tokenizer templates it, else a constraint record."""
    out = dict(rec)
    out["target"] = json.dumps(rec["target"], ensure_ascii=False, sort_keys=True)
    if tokenizer is not None:
        from raif_train import prompts

        out["input"] = prompts.build_prompt(tokenizer, rec["instruction"])
    return out


def synthesize(seeds: list[Seed], random_seed: int = 0, kinds=KINDS, max_depth: int = 2, n_rules: int = 2,
               n_questions: int = 1, tokenizer: Any = None, llm=None, reference=None, min_reference: float = 0.0,
               max_reference: float = 1.0, judge: Any = None) -> list[dict[str, Any]]:
    records = [record(s, random_seed, kinds, max_depth, n_rules, n_questions) for s in seeds]
    if llm is not None:
        rewrite_all(records, llm)
    if reference is not None:
        records = quality_check(records, reference, min_reference, max_reference, judge)
    return [finish(r, tokenizer) for r in records]


def write(records: Iterable[dict[str, Any]], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
    return path
