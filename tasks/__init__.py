"""lm-evaluation-harness task YAMLs of raif-eval: ``_raif_template_yaml`` (what every task shares), one folder per
benchmark, group YAMLs at the top. A task YAML names its benchmark and protocol; the task class
(``raif_eval.harness.task.RaifTask``) builds the rest from the benchmark's definition.

Only task and group YAMLs may sit in this tree under a ``.yaml`` name: lm-eval indexes every ``*.yaml`` below it.
"""

from pathlib import Path

TASKS_DIR = Path(__file__).resolve().parent
