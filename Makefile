# tarsier-eval: set-up, tests, lint, demo and benchmarks. `make setup` is all a fresh machine needs.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup install system-deps test test-fast lint format demo bench bench-gpu clean

setup: install demo

install: $(BIN)/tarsier-eval

$(BIN)/tarsier-eval: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

# Optional system packages: headless Chromium (HTML report browser test) and LaTeX (table compile test).
system-deps:
	command -v chromium >/dev/null && command -v pdflatex >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium texlive-latex-base texlive-latex-recommended >/dev/null)

demo: install
	$(BIN)/tarsier-eval run --tasks demo

test: install
	$(BIN)/python -m pytest -q

# the edit loop: unit tests without subprocesses, torchrun or heavy end-to-end cases (tests marked slow)
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow" tests/unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# CPU benchmarks (print ratios; figures go to benchmarks/RESULTS.md); bench-gpu needs a CUDA GPU
bench: install
	for script in $(filter-out benchmarks/gpu.py,$(wildcard benchmarks/*.py)); do $(BIN)/python $$script || exit 1; done

bench-gpu: install
	$(BIN)/python benchmarks/gpu.py --batch-sizes 1,2,4,8 --samples 16

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
