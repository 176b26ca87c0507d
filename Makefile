# backchannel: the two set-up-and-go commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench docs clean chromium fuzz

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'  # dev = every extra + test tools
	touch $(STAMP)

demo: $(STAMP)  ## analyse the embedded Iran-US 2019 case and print the verdict
	$(BIN)/backchannel analyze

chromium:  ## system Chromium for the browser tests (Debian package; never a browser download)
	@test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

test: $(STAMP) chromium  ## run the test suite (it builds the docs and runs examples/ too)
	$(BIN)/python -m pytest -q -p no:cacheprovider

docs: $(STAMP)  ## build the documentation site into site/ (warnings are errors)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d site

lint: $(STAMP)  ## ruff + mypy
	$(BIN)/ruff check src tests benchmarks docs/hooks
	$(BIN)/ruff format --check src tests benchmarks docs/hooks
	$(BIN)/mypy

fuzz: $(STAMP)  ## long property-based fuzzing of the loader, importers and every API endpoint
	BACKCHANNEL_FUZZ_EXAMPLES=$${BACKCHANNEL_FUZZ_EXAMPLES:-2000} $(BIN)/python -m pytest -q -p no:cacheprovider --timeout=0 \
	  tests/web/test_fuzz_api.py tests/web/test_hostile_inputs.py tests/scenario/test_input_fuzz.py

bench: $(STAMP)  ## run the benchmarks (figures in README.md, "Benchmarks")
	$(BIN)/python -m pytest benchmarks -q -p no:cacheprovider --benchmark-only

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache .mypy_cache .ruff_cache
