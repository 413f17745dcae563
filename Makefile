# tarsier-eval: set-up, tests, lint, demo and benchmarks. `make setup` is all a fresh machine needs.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup install system-deps test test-fast test-lmms lint format demo bench bench-gpu clean

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
	$(BIN)/python -m tarsier_eval.demo_setup

test: install
	$(BIN)/python -m pytest -q

# the edit loop: unit tests without subprocesses, torchrun or heavy end-to-end cases (tests marked slow)
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow" tests/unit

# The lmms-eval extra (docs/lmms-eval.md): lmms-eval needs av<16, constraints.txt pins av 18.1.0, so it goes into
# .venv-lmms, a venv layered on .venv (a .pth line makes .venv's packages visible; av 15.1.0 and lmms-eval's other
# packages install into .venv-lmms only). latex2sympy2 installs a top-level `tests` package shadowing ours: removed.
LMMS_VENV ?= .venv-lmms

$(LMMS_VENV)/.installed: $(BIN)/tarsier-eval
	test -x $(LMMS_VENV)/bin/python || $(BIN)/python -m venv $(LMMS_VENV)
	$(BIN)/python -c "import site; print(site.getsitepackages()[0])" > $$($(LMMS_VENV)/bin/python -c "import site; print(site.getsitepackages()[0])")/zz_tarsier_eval_venv.pth
	grep -v '^av==' constraints.txt > $(LMMS_VENV)/constraints.txt
	$(LMMS_VENV)/bin/pip install --quiet --upgrade pip
	$(LMMS_VENV)/bin/pip install --quiet -c $(LMMS_VENV)/constraints.txt "lmms-eval==0.7.3"
	rm -rf $$($(LMMS_VENV)/bin/python -c "import site; print(site.getsitepackages()[0])")/tests
	touch $@

test-lmms: $(LMMS_VENV)/.installed
	PYTHONPATH=$(CURDIR) $(LMMS_VENV)/bin/python -m pytest -q tests/integration/test_lmms_eval_backend.py \
	  tests/integration/test_lmms_eval_interop.py

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
	rm -rf $(VENV) $(LMMS_VENV) .pytest_cache .ruff_cache
