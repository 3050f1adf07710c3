"""CFBench (Zhang et al., arXiv 2408.01122): 1,000 Chinese prompts, 4,237 criteria, scored by an LLM judge.

Official protocol (PKU-Baichuan-MLSystemLab/CFBench ``code/evalaute.py`` [sic], spec ``cfbench.md`` §4–§5): one
user turn holds the judge template filled with the prompt, the reference answer, the model's answer and the
criteria; the judge answers one ``<criterion>\\t<0|1>`` block per criterion. A reply that fails the strict parser
is judged afresh, 10 times in all; after that a lenient fallback reads the last reply (keeping only its 1-scores).

Per prompt: CSR (share of criteria met, rounded to 2 decimals), ISR (CSR == 1) and PSR (priority rule over
主需/次需 criteria). Per benchmark: ``round(np.mean(...), 2)`` over the easy, hard and all prompts.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from raif_eval import data
from raif_eval.core import Benchmark, Breakdown, Judged, Metric, hostile, mean, taxonomy, tokens, total
from raif_eval.core.benchmark import OFFICIAL, RAIF_SYSTEM, Settings, doc_record, document, paper_protocol
from raif_eval.core.judging import JudgeSession, Parsed
from raif_eval.core.tables import frame, judged_of, percent, sample_record, scored
from raif_eval.core.templates import render

BENCH = "cfbench"
DATA_FILE = "data/cfbench_data.json"
SPLITS = ("easy", "hard")
PRIMARY, SECONDARY = "主需", "次需"
JUDGE_ROUNDS = 10  # upstream `_judged`: MAX_RETRY_NUM rounds of re-judging the unparsed items
ERROR_TEXT = "Error"  # what upstream stores as the judge reply when every request failed
PARSED, FALLBACK, UNPARSED = "1", "0", "-1"  # upstream `judge_parsing` values
COLUMNS = ("CSR_easy", "ISR_easy", "PSR_easy", "CSR_hard", "ISR_hard", "PSR_hard", "CSR", "ISR", "PSR")


def load_records(data_dir: str | None = None) -> list[dict[str, Any]]:
    """The 1,000 records in file order (``idx`` equals the position)."""
    path = data.resolve(BENCH, DATA_FILE, data_dir)
    return json.loads(path.read_text(encoding="utf-8"))


def criterion_texts(record: Mapping[str, Any]) -> list[str]:
    return [criterion[0] for criterion in record["criteria"]]


def judge_prompt(record: Mapping[str, Any], answer: str) -> str:
    """The official ``gpt_judge_for_cfbench(prompt, gold_ans, response, criteria)`` text for one answer."""
    return render(BENCH, "judge", prompt=record["prompt"], gold_ans=record.get("gold") or "", response=answer,
                  criteria="\n\n".join(criterion_texts(record)))


# --- parsing ------------------------------------------------------------------------------------------------

def parse_strict(reply: str, criteria: Sequence[str]) -> list[float] | None:
    """Upstream ``_get_judge_scores``: one ``text\\tscore`` block per criterion, or ``None``.

    Blocks are split on ``\\n\\n``; their number must equal the number of criteria, each must split on ``\\t``
    into exactly two parts, the text must equal the criterion byte for byte (no whitespace normalisation: spec
    §7.1), and ``float(score)`` must be 0 or 1 (so ``" 1"``, ``"1.0"``, ``"1\\n"`` pass, as upstream).
    """
    blocks = reply.split("\n\n")
    if len(blocks) != len(criteria):
        return None
    scores = []
    for block, criterion in zip(blocks, criteria):
        parts = block.split("\t")
        if len(parts) != 2 or parts[0] != criterion:
            return None
        try:
            score = float(parts[1])
        except ValueError:
            return None
        if score not in (0, 1):  # NaN and inf fail here too
            return None
        scores.append(score)
    return scores


def parse_fallback(reply: str) -> tuple[list[str], str]:
    """Upstream ``_get_judge_scores_guaranteed`` plus its caller's ``["0"]`` default: ``(scores, parsing)``.

    Every ``\\n``-separated line with exactly one tab whose score is a *non-zero* 0/1 value contributes its
    stripped score, so only 1-scores survive and zeros vanish (spec §5, §7.2) → parsing ``"0"``. Nothing left →
    ``(["0"], "-1")``. A non-numeric score raises in upstream (ending the whole run); here its line is dropped.
    """
    scores = []
    for line in reply.split("\n"):
        parts = line.split("\t")
        if len(parts) != 2:
            continue
        try:
            value = float(parts[1])
        except ValueError:
            continue
        if value and value in (0, 1):
            scores.append(parts[1].strip())
    return (scores, FALLBACK) if scores else (["0"], UNPARSED)


def strict_parsed(reply: str, criteria: Sequence[str]) -> Parsed:
    """:func:`parse_strict` as :meth:`JudgeSession.ask` wants it: a failed parse makes it ask afresh."""
    scores = parse_strict(reply, criteria)
    return Parsed(scores, ok=scores is not None)


# --- RAIF's lenient parser (RAIF ``CFBench/code/evalaute_local.py``) -----------------------------------------

@functools.cache
def _rouge():
    """jieba's tokenizer and one ROUGE scorer, set up once (the parser calls them per criterion and block)."""
    import jieba
    from rouge_chinese import Rouge

    jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter
    with hostile.uninterrupted():
        jieba.initialize()  # its dictionary, which it would load on the first cut
    return jieba.cut, Rouge()


def _similar(hypothesis: str, reference: str, memo: dict) -> bool:
    """RAIF's ``eval_preds_gts(...)['rouge-l']['f'] > 0.5`` on jieba tokens; raises where rouge_chinese raises (an
    empty hypothesis or reference), which RAIF's parser turns into an unparsed reply.

    rouge_chinese's ROUGE-L F is computed here as rouge_chinese computes it (its sentence cut and words, the LCS of
    the two word lists, ``2 * (p * r) / (p + r + 1e-8)``): its own call costs ~80 µs of Python per pair, and RAIF's
    parser compares every block of a reply with every criterion (a 256 KB reply of short lines: ~400,000 pairs).
    Words and verdicts are memoised per reply (``memo``). F is at most ``2 * min / (n + m)`` (n, m: the word
    counts), 0.5 or less once one text has three times the other's words: then no LCS is needed.

    The one cap: a text over :data:`LONG_BLOCK` characters (criteria are a few hundred) is not similar, without
    jieba's cut of it (seconds per 100 KB of Chinese). Each whitespace-separated run and each punctuation mark is
    at least one jieba word, so such a text of natural language has far over three times a criterion's words and
    the verdict is rouge_chinese's; it differs only for a text of a few words of thousands of characters each."""
    key = ("similar", hypothesis, reference)
    if key not in memo:
        memo[key] = _rouge_l_above_half(hypothesis, reference, memo)
    return memo[key]


LONG_BLOCK = 20_000


def _rouge_l_above_half(hypothesis: str, reference: str, memo: dict) -> bool:
    short, long = sorted((hypothesis, reference), key=len)
    if len(long) > LONG_BLOCK and long.strip():
        if not _words(short, memo):
            raise ValueError("Collections must contain at least 1 sentence.")  # rouge_chinese's, on the empty side
        return False
    hyp, ref = _words(hypothesis, memo), _words(reference, memo)
    if not hyp or not ref:
        raise ValueError("Collections must contain at least 1 sentence.")
    n, m = len(hyp), len(ref)
    if max(n, m) >= 3 * min(n, m):
        return False

    def f(llcs: int) -> float:  # rouge_chinese's F, which grows with the LCS length
        r_lcs, p_lcs = llcs / m, llcs / n
        return 2.0 * ((p_lcs * r_lcs) / (p_lcs + r_lcs + 1e-8))

    if f(sum((Counter(hyp) & Counter(ref)).values())) <= 0.5:  # the LCS is at most the words they share
        return False
    return f(_lcs_length(ref, hyp)) > 0.5


def _words(text: str, memo: dict) -> tuple[str, ...]:
    """The words rouge_chinese's ROUGE-L compares, of ``text`` cut by jieba and joined by spaces: its sentence
    cut, each sentence's whitespace collapsed, then split on spaces (empty: no sentence, where it raises)."""
    if text not in memo:
        cut, rouge = _rouge()
        sentences = [" ".join(s.split()) for s in rouge.cut_sent(" ".join(cut(text))) if len(s) > 0]
        memo[text] = tuple(word for s in sentences for word in s.split(" "))
    return memo[text]


def _lcs_length(x: Sequence[str], y: Sequence[str]) -> int:
    """The length of the longest common subsequence, bit-parallel (Allison and Dix): one bit per word of ``x``."""
    masks: dict[str, int] = {}
    for i, word in enumerate(x):
        masks[word] = masks.get(word, 0) | 1 << i
    row, full = 0, (1 << len(x)) - 1
    for word in y:
        both = masks.get(word, 0) | row
        row = both & ~(both - ((row << 1) | 1)) & full
    return row.bit_count()


def _split_block(block: str, strip_tab_parts: bool) -> list[str]:
    if "\t" in block:
        parts = block.split("\t")
        return [p.strip() for p in parts if p.strip()] if strip_tab_parts else parts
    return [p.strip() for p in block.split(" ") if p.strip()]


def parse_lenient(reply: str | None, criteria_texts: Sequence[str]) -> list[str] | None:
    """RAIF's ``_get_judge_scores``: a score string per criterion, or ``None`` (unparsed: judged again).

    Blocks split on ``\n\n`` (else ``\n``), stripped, blank ones dropped. When their number differs from the
    criteria's, each block becomes (text, score) — split on tab, else on spaces; not two parts → score "0" — and a
    criterion scores 0 if any block whose text is inside it or has ROUGE-L F > 0.5 with it scores 0, or none
    matches, else 1; the score collected for every matching block is the *last* block's (RAIF's loop reuses the
    variable: kept for fidelity). Then each block must match its criterion (equal, inside it, or ROUGE-L > 0.5)
    and score 0 or 1, else it scores "0". Any exception inside (rouge_chinese on an empty text) → ``None``."""
    if reply is None or reply == ERROR_TEXT:
        return None
    criteria = [c.strip() for c in criteria_texts]
    memo: dict = {}  # words and verdicts of this reply's texts (see _similar)
    try:
        blocks = reply.split("\n\n") if "\n\n" in reply else reply.split("\n")
        blocks = [b.strip() for b in blocks if b.strip()]
        if len(blocks) != len(criteria):
            pairs, score = [], "0"  # `score` is only read after the loop below has set it
            for block in blocks:
                parts = _split_block(block, strip_tab_parts=False)
                crit, score = (parts[0], "0") if len(parts) != 2 else parts
                pairs.append((crit.strip(), score.strip()))
                score = score.strip()
            collected: list[list[str]] = [[] for _ in criteria]
            for index, criterion in enumerate(criteria):
                for text, _own in pairs:
                    similar = _similar(criterion, text, memo)
                    if text in criterion or similar:
                        collected[index].append(score)
            rebuilt = []
            for criterion, scores in zip(criteria, collected):
                values = [float(x) for x in scores if x in ("0", "1")]
                rebuilt.append(f"{criterion}\t{0 if (0 in values or not values) else 1}")
            blocks = rebuilt
        if len(criteria) != len(blocks):
            return None
        out = []
        for index, block in enumerate(blocks):
            parts = _split_block(block, strip_tab_parts=True)
            crit, score = (parts[0], "0") if len(parts) != 2 else parts
            crit, score = crit.strip(), score.strip()
            similar = _similar(crit, criteria[index], memo)
            try:
                ok = (crit == criteria[index] or similar or crit in criteria[index]) and \
                    float(score) in (0, 1)
            except ValueError:
                ok = False
            out.append(score.strip() if ok else "0")
    except Exception:  # noqa: BLE001 — RAIF's parser treats every failure as an unparsed reply
        return None
    return out or None


def lenient_parsed(reply: str, criteria: Sequence[str]) -> Parsed:
    scores = parse_lenient(reply, criteria)
    return Parsed(scores, ok=scores is not None)


PAPER_TRUNCATE_TOKENS, PAPER_TRUNCATE_STEP = 14000, 100


async def judge_paper(judge_: JudgeSession, record: Mapping[str, Any], answer: str) -> dict[str, Any] | None:
    """RAIF's protocol: the response cut 100 characters at a time while the filled prompt exceeds 14,000 tokens;
    system message + user turn (the profile); the lenient parser; an unparsed reply judged again with the
    identical request, 10 times in all; then the fallback (which, as RAIF's, skips N/A and non-numeric scores)."""
    criteria = criterion_texts(record)
    answer = tokens.truncate_while(
        answer, lambda text: judge_.count_tokens(judge_prompt(record, text)) > PAPER_TRUNCATE_TOKENS,
        PAPER_TRUNCATE_STEP)
    prompt = judge_prompt(record, answer)
    asked = await judge_.ask(judge_.messages({"role": "user", "content": prompt}),
                             lambda text: lenient_parsed(text, criteria), attempts=JUDGE_ROUNDS)
    if asked.text is None:
        return None
    if asked.ok:
        return {"scores": [float(s) for s in asked.value], "parsing": PARSED}
    scores, parsing = parse_fallback(asked.text)
    return {"scores": [float(s) for s in scores], "parsing": parsing}


# --- judge program ------------------------------------------------------------------------------------------

async def judge(judge_: JudgeSession, record: Mapping[str, Any], answer: str) -> dict[str, Any] | None:
    """``{"scores": [0./1., ...], "parsing": "1"|"0"|"-1"}`` for one answer, or ``None`` if the endpoint failed.

    One user message (plus the profile's system message, if it has one). Upstream re-judges every unparsed item
    in up to 10 rounds of fresh requests; asking this item afresh up to 10 times in all is the same thing, since
    no round depends on another item. The fallback reads the last reply, as upstream reads the last round's.

    ``None`` means a request failed for good (after the client's own retries). Upstream would then store
    ``"Error"``, which parses as ``(["0"], "-1")``; :func:`verdicts_or_failure` maps ``None`` to exactly that and
    flags it, so an outage scores 0 on every metric and is still counted. (Upstream would also re-ask a failed
    item in its next round; we stop at the first request that fails for good.)
    """
    criteria = criterion_texts(record)
    messages = judge_.messages({"role": "user", "content": judge_prompt(record, answer)})
    asked = await judge_.ask(messages, lambda text: strict_parsed(text, criteria), attempts=JUDGE_ROUNDS)
    if asked.text is None:
        return None
    if asked.ok:
        return {"scores": asked.value, "parsing": PARSED}
    scores, parsing = parse_fallback(asked.text)
    return {"scores": [float(s) for s in scores], "parsing": parsing}


def verdicts_or_failure(verdicts: Mapping[str, Any] | None) -> dict[str, Any]:
    """What scoring reads: ``{"scores", "parsing", "judge_failed"}``; an endpoint failure (``None``) becomes
    upstream's reading of its ``"Error"`` reply, i.e. ``([0.0], "-1")``, with ``judge_failed`` set."""
    if verdicts is None:
        scores, parsing = parse_fallback(ERROR_TEXT)
        return {"scores": [float(s) for s in scores], "parsing": parsing, "judge_failed": True}
    return {"scores": list(verdicts["scores"]), "parsing": verdicts["parsing"], "judge_failed": False}


# --- metrics ------------------------------------------------------------------------------------------------

def _round2(values: Sequence[float]) -> float:
    # numpy's rounding of np.mean's float64 (x*100, round-half-even, /100) as upstream's `round(np.mean(v), 2)`;
    # Python's round(float) differs at ties such as 0.835 (numpy 0.84, Python 0.83), and np.mean's pairwise sum
    # decides on which side of a tie a long mean falls.
    return float(round(np.mean(values), 2))


def prompt_metrics(record: Mapping[str, Any], scores: Sequence[float | str], parsing: str) -> dict[str, float]:
    """Upstream ``_score_compute``: ``{"csr", "isr", "psr"}`` of one prompt from its parsed scores.

    PSR: parsing ``"-1"`` → 0; ``"0"`` (fallback, scores are not aligned with criteria) → CSR > 0.8; ``"1"`` → 0
    if any 主需 (primary) criterion failed, else all-次需 → CSR > 0.8, all-主需 → 1, mixed → 1 if
    0.5 + 0.5·round(mean(次需), 2) > 0.8 (i.e. secondary mean above 0.6).
    """
    values = [float(s) for s in scores]
    csr = _round2(values)
    isr = 0 if csr < 1 else 1  # from the rounded CSR
    if parsing == UNPARSED:
        psr = 0
    elif parsing == FALLBACK:
        psr = 1 if csr > 0.8 else 0
    elif parsing == PARSED:
        if len(values) != len(record["criteria"]):
            raise ValueError(f"{len(values)} scores for {len(record['criteria'])} criteria")
        primary, secondary = [], []
        for criterion, value in zip(record["criteria"], values):
            if criterion[1] == PRIMARY:
                primary.append(value)
            elif criterion[1] == SECONDARY:
                secondary.append(value)
            else:
                raise ValueError(f"criterion priority {criterion[1]!r} is neither {PRIMARY} nor {SECONDARY}")
        if 0 in primary:
            psr = 0
        elif not primary:
            psr = 1 if csr > 0.8 else 0
        elif not secondary:
            psr = 1
        else:
            psr = 1 if 0.5 + 0.5 * round(np.mean(secondary), 2) > 0.8 else 0  # same float arithmetic as upstream
    else:
        raise ValueError(f"judge parsing status {parsing!r} is not one of {PARSED!r}, {FALLBACK!r}, {UNPARSED!r}")
    return {"csr": csr, "isr": isr, "psr": psr}


def benchmark_score(values: Sequence[float]) -> float:
    """``round(np.mean(values), 2)``; NaN for no values (upstream's empty split, an empty xlsx cell)."""
    return _round2(values) if len(values) else math.nan


def benchmark_scores(rows: Iterable[tuple[str, Mapping[str, float]]]) -> dict[str, float]:
    """Upstream ``_scores``: the nine xlsx columns from ``(split, prompt_metrics(...))`` rows, in :data:`COLUMNS`
    order. A prompt whose split is neither easy nor hard counts in the all-prompt columns only."""
    columns: dict[str, list[float]] = {name: [] for name in COLUMNS}
    for split, metrics in rows:
        for metric in ("csr", "isr", "psr"):
            value = metrics[metric]
            columns[metric.upper()].append(value)
            if split in SPLITS:
                columns[f"{metric.upper()}_{split}"].append(value)
    return {name: benchmark_score(values) for name, values in columns.items()}


def raif_score(scores: Mapping[str, float]) -> float:
    """RAIF's "CF Bench" value (spec §8, medium confidence): mean of the all-prompt CSR, ISR and PSR, each
    already rounded to 2 decimals, as a fraction (the paper's table shows it × 100)."""
    return (scores["CSR"] + scores["ISR"] + scores["PSR"]) / 3


# --- the task -------------------------------------------------------------------------------------------------

def documents(settings: dict[str, Any], data_dir: str | None) -> list[dict[str, Any]]:
    return [document(r["idx"], r["prompt"], r, split=r["split"]) for r in load_records(data_dir)]


def score_doc(doc: dict[str, Any], answer: str, judged: Judged, settings: Settings) -> dict[str, Any]:
    verdicts = verdicts_or_failure(judged.verdicts)
    metrics = prompt_metrics(doc_record(doc), verdicts["scores"], verdicts["parsing"])
    out: dict[str, Any] = {"raif_score": dict(metrics), **metrics}
    for split in SPLITS:  # a split's metric is null on the other split's samples
        for name, value in metrics.items():
            out[f"{name}_{split}"] = value if doc["split"] == split else None
    out["judge_fallback"] = int(verdicts["parsing"] == FALLBACK)
    out["judge_unparsed"] = int(verdicts["parsing"] == UNPARSED)
    return out


def rounded_mean(items: list[float | None]) -> float:
    """Upstream's ``round(np.mean(values), 2)`` over the prompts that have the metric (NaN for none)."""
    return benchmark_score([v for v in items if v is not None])


def raif_score_of(items: list[dict[str, float]]) -> float:
    return raif_score({name.upper(): rounded_mean([m[name] for m in items]) for name in ("csr", "isr", "psr")})


# --- breakdowns -----------------------------------------------------------------------------------------------

NO_TYPE = "(none)"  # 129 criteria of the data have an empty primary constraint type


def _sample_verdicts(sample: dict[str, Any]) -> dict[str, Any]:
    judged = judged_of(sample)
    return verdicts_or_failure(judged.verdicts if judged is not None else None)


def by_constraint(samples: list[dict[str, Any]], settings: Settings | None = None):
    """Columns: by, label, metric, value, n.

    - ``by`` = ``primary type`` / ``priority`` (主需, 次需), metric ``satisfaction``: the share of criteria judged
      met, pooled over criteria (n), **only over prompts whose judge reply parsed strictly** (``judge_parsing``
      "1"): a fallback reply keeps only its 1-scores, which are not aligned with the criteria, and an unparsed or
      failed one has none.
    - ``by`` = ``split`` (easy, hard, all), metrics CSR, ISR, PSR: upstream's ``round(np.mean(...), 2)`` over the
      prompts (n) of the split, every prompt counted whatever its parsing (as the task's metrics).
    - ``by`` = ``judge parsing`` ("1" strict, "0" fallback, "-1" unparsed), metric ``share of prompts``.
    """
    samples = scored(samples)
    by_type: dict[str, list[float]] = defaultdict(list)
    by_priority: dict[str, list[float]] = defaultdict(list)
    parsing: Counter[str] = Counter()
    for sample in samples:
        verdicts = _sample_verdicts(sample)
        parsing[verdicts["parsing"]] += 1
        if verdicts["parsing"] != PARSED:
            continue
        criteria = sample_record(sample)["criteria"]
        if len(criteria) != len(verdicts["scores"]):
            raise ValueError(f"CFBench sample {sample.get('doc_id')}: {len(verdicts['scores'])} scores for "
                             f"{len(criteria)} criteria")
        for (_text, priority, primary, *_rest), value in zip(criteria, verdicts["scores"]):
            by_type[primary or NO_TYPE].append(float(value))
            by_priority[priority].append(float(value))
    rows = []
    for label in sorted(by_type, key=lambda t: (-len(by_type[t]), t)):
        rows.append({"by": "primary type", "label": label, "metric": "satisfaction",
                     "value": percent(mean(by_type[label])), "n": len(by_type[label])})
    for label in [p for p in (PRIMARY, SECONDARY) if p in by_priority] + sorted(
            set(by_priority) - {PRIMARY, SECONDARY}):
        rows.append({"by": "priority", "label": label, "metric": "satisfaction",
                     "value": percent(mean(by_priority[label])), "n": len(by_priority[label])})
    scores = benchmark_scores((s["doc"]["split"], {m: s[m] for m in ("csr", "isr", "psr")}) for s in samples)
    counts = Counter(s["doc"]["split"] for s in samples)
    for split in (*SPLITS, "all"):
        n = len(samples) if split == "all" else counts[split]
        for metric in ("CSR", "ISR", "PSR"):
            value = scores[metric if split == "all" else f"{metric}_{split}"]
            rows.append({"by": "split", "label": split, "metric": metric, "value": percent(value), "n": n})
    for label in (PARSED, FALLBACK, UNPARSED):
        rows.append({"by": "judge parsing", "label": label, "metric": "share of prompts",
                     "value": percent(parsing[label] / len(samples)) if samples else math.nan, "n": parsing[label]})
    return frame(rows, ("by", "label"))


# --- the taxonomy ----------------------------------------------------------------------------------------------

# "<type>/<subtype>" of a criterion → type. 内容约束 (content) splits: 词法 (lexical) is `lexical`, the rest `content`;
# 否定约束 (negation: what must not appear or be done) and 指定动作/专业约束 (prescribed actions, domain expertise)
# are `content`; 场景约束 (task, role, situation) is `situation`; 语言约束 (pragmatic, syntactic, phonological,
# morphological) is `language`; 不合理约束 (an unreasonable demand to recognise and explain) is `utility`.
# A criterion without a type (129 of 4,237, 127 of them 主需 "is an answer to …" / "agrees with the reference")
# is `utility`.
UNTYPED = "(untyped)"
TAXONOMY = {
    "内容约束/元素内容约束": "content", "内容约束/语义内容约束": "content", "内容约束/其他内容约束": "content",
    "内容约束/词法内容约束": "lexical",
    "否定约束/否定约束": "content",
    "指定动作约束/其他专业约束/指定动作约束": "content", "指定动作约束/其他专业约束/其他专业约束": "content",
    "数值约束/单词数值约束": "length", "数值约束/句子数值约束": "length", "数值约束/段落数值约束": "length",
    "数值约束/文档数值约束": "length", "数值约束/其他数值约束": "length",
    "格式约束/自定义格式约束": "format", "格式约束/基础格式约束": "format", "格式约束/其他格式约束": "format",
    "格式约束/特殊场景格式约束": "format", "格式约束/形式文体约束": "format", "格式约束/语义内容约束": "format",
    "风格约束/形式文体约束": "style", "风格约束/语气情感约束": "style", "风格约束/作者文风约束": "style",
    "风格约束/受众风格约束": "style", "风格约束/其他风格约束": "style",
    "场景约束/任务场景约束": "situation", "场景约束/角色场景约束": "situation", "场景约束/复杂情境推理": "situation",
    "语言约束/语用语言约束": "language", "语言约束/句法学语言约束": "language", "语言约束/音节学语言约束": "language",
    "语言约束/形态学语言约束": "language", "语言约束/其他语言约束": "language", "语言约束/自定义格式约束": "language",
    "example约束/example约束": "example",
    "不合理约束/不合理约束": "utility",
    UNTYPED: "utility",
}


def criterion_label(criterion: Sequence[Any]) -> str:
    kind = "/".join(str(part) for part in criterion[2:4] if part)
    return kind or UNTYPED


def structure(doc: dict[str, Any], settings: Settings) -> taxonomy.Structure:
    return taxonomy.flat([taxonomy.Constraint(str(i), (criterion_label(c),), "judge")
                          for i, c in enumerate(doc_record(doc)["criteria"])])


def check_verdicts(doc: dict[str, Any], values: dict[str, Any], judged: Judged | None,
                   settings: Settings) -> list[float | None]:
    """The judge's score per criterion; none attributable for a fallback reply (its 1-scores are not aligned with
    the criteria); all failed for an unreadable or missing one, as CSR counts it."""
    n = len(doc_record(doc)["criteria"])
    verdicts = verdicts_or_failure(judged.verdicts if judged is not None else None)
    if verdicts["parsing"] == PARSED and len(verdicts["scores"]) == n:
        return [float(s) for s in verdicts["scores"]]
    return [False if verdicts["parsing"] == UNPARSED else None] * n


CONSTRAINTS = taxonomy.ConstraintMap(TAXONOMY, structure, check_verdicts,
                                     "one check per criterion (type/subtype), the judge's 0/1; And by count")

BENCHMARK = Benchmark(
    key=BENCH, name="CFBench", column="CF Bench",
    documents=documents, score=score_doc, judge=judge, max_gen_toks=2048,
    metrics=(
        Metric("raif_score", raif_score_of),
        *(Metric(f"{name}{split}", rounded_mean) for split in ("", "_easy", "_hard") for name in ("csr", "isr", "psr")),
        Metric("judge_fallback", total, higher_is_better=False),
        Metric("judge_unparsed", total, higher_is_better=False),
    ),
    breakdowns=(Breakdown("CFBench by constraint type, priority and split", by_constraint),),
    protocols=(OFFICIAL, paper_protocol(judge_profile="paper", judge=judge_paper, model_system=RAIF_SYSTEM,
                                        generation_budget_divisor=1.3)),
    constraints=CONSTRAINTS,
)
