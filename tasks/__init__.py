"""lm-evaluation-harness task definitions of raif-eval (one folder per benchmark, group YAMLs at the top).

Only task and group YAMLs may sit in this tree: lm-eval indexes every ``*.yaml`` below it.
"""

from pathlib import Path

TASKS_DIR = Path(__file__).resolve().parent
