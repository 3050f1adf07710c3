"""The OpenAI-compatible endpoints raif-eval talks to: configuration, the async client with retries and a persistent
cache, the batch runner and profiles for benchmarks' judge programs, prompt templates, the two-model reasoner, the
embedded judge and the loopback server it runs on."""
