"""Everything raif-eval plugs into lm-evaluation-harness, in one place.

* :mod:`~raif_eval.harness.task` — ``RaifTask``, the task class of every raif-eval task YAML;
* :mod:`~raif_eval.harness.filters` — the ``raif_strip_think`` and ``raif_judge`` filter steps;
* :mod:`~raif_eval.harness.replay` and :mod:`~raif_eval.harness.chat` — the ``replay`` and
  ``raif-chat-completions`` model backends;
* :mod:`~raif_eval.harness.patch` — how ``raif-eval`` extends lm-eval's command line;
* :mod:`~raif_eval.harness.rejudge` — ``raif-eval judge``, re-scoring logged samples through lm-eval.

Importing the package registers the filters and the backends, so they exist however the tasks are loaded
(``raif-eval``, ``lm_eval --include_path``, or ``simple_evaluate``): the task YAMLs name ``RaifTask``, whose
module lives here.
"""

from raif_eval.harness import chat, filters, replay  # noqa: F401  (registrations)
