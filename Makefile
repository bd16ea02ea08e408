# oapigen: every target sets up what it needs (the venv, packages) on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SPEC ?= specs/example.yaml
OUT ?= generated
SHARED ?= ../shared
PYTEST_ARGS ?=
# OpenAPI Overlays (space-separated, applied in order) and a generator config; the OpenAI
# specs get the project's own config (which names specs/openai.overlay.yaml) by default.
OVERLAY ?=
CONFIG ?= $(if $(filter openai-%,$(notdir $(SPEC))),specs/openai.oapigen.toml)
# Any other oapigen options (ARGS=--overwrite); LINK=no: no .pth into the venv.
ARGS ?=
LINK ?= yes
GENERATE_ARGS = $(if $(CONFIG),--config $(CONFIG)) $(foreach o,$(OVERLAY),--overlay $(o)) $(ARGS)

.PHONY: help venv generate check need-spec diff test test-fast specs lint golden conformance bench clean

help:
	@echo "make generate [SPEC=specs/openai-2.3.0.yaml] [OVERLAY=a.yaml] [CONFIG=oapigen.toml] [ARGS=--overwrite]"
	@echo "make diff OLD=specs/openai-2.0.0.yaml NEW=specs/openai-2.3.0.yaml [FORMAT=json]"
	@echo "make test | test-fast | lint | check | specs | golden | conformance | bench"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Writes $(OUT)/<package>/ and makes the package importable from the venv without an
# install step (a .pth file pointing at the generated project; LINK=no skips that).
# The OpenAI specs are not in the repository: asked for one, it is copied in first.
generate: $(STAMP)
	@$(MAKE) --no-print-directory need-spec
	$(PY) -m oapigen $(SPEC) --output $(OUT) $(GENERATE_ARGS)
ifneq ($(LINK),no)
	@$(PY) -c 'import sys, site, pathlib; out = pathlib.Path("$(OUT)").resolve(); \
	  sp = pathlib.Path(site.getsitepackages()[0]); \
	  dirs = sorted(str(p) for p in out.iterdir() if (p / "pyproject.toml").is_file()); \
	  (sp / "oapigen_generated.pth").write_text("".join(d + "\n" for d in dirs))'
endif

check: $(STAMP)
	@$(MAKE) --no-print-directory need-spec
	$(PY) -m oapigen $(SPEC) --output $(OUT) $(GENERATE_ARGS) --check

# An OpenAI spec named in SPEC but missing from specs/: copy them in (as `make specs` does).
need-spec:
	@case "$(SPEC)" in specs/openai-*.yaml) test -f "$(SPEC)" || $(MAKE) --no-print-directory specs ;; esac

# The API changelog between two specs (FORMAT=json, DIFF_ARGS=--fail-on-breaking).
diff: $(STAMP)
	$(PY) -m oapigen diff $(OLD) $(NEW) --format $(or $(FORMAT),md) $(if $(filter openai-%,$(notdir $(NEW))),--config specs/openai.oapigen.toml) $(DIFF_ARGS)

specs:
	@test -d "$(SHARED)/specs" || { \
	  echo "The OpenAI specs are OpenAI's data and not in this repository; $(SHARED)/specs does not exist."; \
	  echo "Run: make specs SHARED=<folder holding specs/openai-*.yaml>   (or copy openai-*.yaml into specs/ yourself)"; \
	  exit 2; }
	cp $(SHARED)/specs/openai-*.yaml specs/
	@ls specs/openai-*.yaml

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -x $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m black --check --quiet generator templates/runtime tests bench
	$(PY) -m mypy --strict generator
	$(PY) -m mypy --strict templates/runtime

golden: $(STAMP)
	$(PY) -m tests.golden.refresh

conformance: $(STAMP)
	$(PY) -m pytest -q tests/conformance $(PYTEST_ARGS)

# BENCH_ARGS: e.g. --quick, --only scale --sizes 2,10, --no-chart (bench/README.md).
BENCH_ARGS ?=
$(VENV)/.bench-installed: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(OUT)/*/ .mypy_cache .pytest_cache
