"""The LLM-judge adapter: configuration, the async OpenAI-compatible client with retries and a persistent cache,
the batch runner for benchmarks' judge programs, the lm-eval filter, the embedded judge and post-hoc re-judging."""
