"""LLM-judge prompt templates (Jinja2, one folder per benchmark) and endpoint presets."""
