"""``python -m raif_eval.tasks_dir`` prints the task folder, for ``lm_eval --include_path``."""

from raif_eval.tasks import TASKS_DIR

if __name__ == "__main__":
    print(TASKS_DIR)
