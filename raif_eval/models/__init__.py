"""The embedded default model (SmolLM2-135M-Instruct from PyPI), prepared once for lm-eval's hf backend."""
