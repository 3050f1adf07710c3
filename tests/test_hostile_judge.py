"""The judge client against a hostile judge: bounded in time and memory, nothing cached that is not a reply, the
verdicts it did get kept, and credentials in the URL never written anywhere."""

from __future__ import annotations

import asyncio
import resource
import time

import pytest

from hostile_judge import MODEL, MODES, HostileJudge
from raif_eval.judge.cache import JudgeCache
from raif_eval.judge.client import JudgeClient
from raif_eval.judge.config import JudgeConfig
from raif_eval.core.judging import JudgeProfile, Parsed
from raif_eval.judge.runner import judge_all

FAILING = ("nonjson", "content_null", "content_list", "content_false", "gzip_bomb", "slow_drip", "deep_json")
SLOW = ("slow_drip",)  # a timeout, not a malformed body: counted as a failed request only


@pytest.fixture(scope="module")
def hostile():
    server = HostileJudge().start()
    yield server
    server.stop()


def config_for(server, tmp_path, **overrides) -> JudgeConfig:
    values = {"url": server.url, "model": MODEL, "timeout": 2.0, "max_retries": 1, "backoff": 0.01,
              "max_retry_after": 0.2, "cache": str(tmp_path / "cache.sqlite"), **overrides}
    return JudgeConfig(**values)


def ask(config: JudgeConfig, text: str):
    async def go():
        cache = JudgeCache(config.cache_path())
        client = JudgeClient(config, cache)
        try:
            return await client.complete([{"role": "user", "content": text}], {"temperature": 0}), client.usage
        finally:
            await client.close()
            cache.close()

    return asyncio.run(go())


@pytest.mark.parametrize("mode", FAILING)
def test_a_malformed_reply_is_retried_then_counted_and_never_cached(hostile, tmp_path, mode):
    config = config_for(hostile, tmp_path)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    reply, usage = ask(config, f"MODE:{mode} judge this")
    took = time.perf_counter() - t0
    assert reply.text is None and "gave up after 2 attempts" in reply.error
    assert usage.failures == 1 and usage.retries == 1
    assert reply.malformed == (0 if mode in SLOW else 2)  # judge_malformed: both attempts
    assert took < 2 * config.timeout + 3  # the deadline is per request, not per read (slow drip)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 200 * 1024  # KiB: no 64 MiB bomb
    assert len(JudgeCache(config.cache_path())) == 0


def test_odd_but_readable_replies_are_kept(hostile, tmp_path):
    config = config_for(hostile, tmp_path)
    reply, _ = ask(config, "MODE:infinity_usage judge this")
    assert reply.text == "YES" and (reply.prompt_tokens, reply.completion_tokens) == (0, 0)
    reply, _ = ask(config, "MODE:surrogate judge this")
    assert reply.text == "YES \ufffd it does"
    again, usage = ask(config, "MODE:surrogate judge this")  # stored, and read back from the cache
    assert again.cached and again.text == reply.text and usage.requests == 0


def test_retry_after_is_capped(hostile, tmp_path):
    t0 = time.perf_counter()
    reply, usage = ask(config_for(hostile, tmp_path), "MODE:retry_after_day judge this")
    assert reply.text == "YES" and usage.retries == 1
    assert time.perf_counter() - t0 < 5  # not a day


def test_a_surrogate_in_the_response_reaches_the_judge_encodable(hostile, tmp_path):
    reply, _ = ask(config_for(hostile, tmp_path), "Does \ud800 this answer comply?")
    assert reply.text == "YES"


async def one_verdict(judge, record, answer):
    asked = await judge.ask(judge.messages({"role": "user", "content": record}), lambda t: Parsed(t == "YES"))
    return asked.value


def test_a_run_against_a_hostile_judge_keeps_every_verdict_it_got(hostile, tmp_path):
    items = [(f"MODE:{mode} doc", "") for mode in MODES] + [(f"plain doc {i}", "") for i in range(3)]
    run = judge_all(one_verdict, items, JudgeProfile("test"), config_for(hostile, tmp_path))
    by_record = {record: result for (record, _), result in zip(items, run.results)}
    for mode in FAILING:
        result = by_record[f"MODE:{mode} doc"]
        assert result.failed and result.bookkeeping()["judge_malformed"] == (0 if mode in SLOW else 2)
    for record in ["MODE:infinity_usage doc", "MODE:retry_after_day doc"] + [f"plain doc {i}" for i in range(3)]:
        assert by_record[record].verdicts is True and not by_record[record].failed
    assert run.usage.failures == len(FAILING) and run.fatal is None


def test_credentials_in_the_url_are_never_shown(hostile, tmp_path):
    url = hostile.url.replace("http://", "http://user:SECRET-KEY@")
    config = config_for(hostile, tmp_path, url=url)
    assert "SECRET" not in repr(config) and "SECRET" not in str(config.describe())
    assert "SECRET" not in config.shown_url and config.host == hostile.url.split("/")[2]
    reply, _ = ask(config, "plain doc")
    assert reply.text == "YES"  # the credentials still go to the server
