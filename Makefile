# Two set-up commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
export PYTHONWARNINGS ?= ignore

# Demo credentials for `make run` only (production sets its own; see README).
run: export ADMIN_USERNAME ?= admin
run: export ADMIN_PASSWORD ?= GridDemo2026

.PHONY: run test fuzz bench venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: venv
	$(PY) -m common.launcher

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

# The fuzz run of `make test`, with many more examples per operation (tens of minutes).
fuzz: venv
	FUZZ_RANDOM=1 FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-150} $(PY) -m pytest tests/integration/test_fuzz.py $(PYTEST_ARGS)

bench: venv
	$(PY) -m bench.run
	$(PY) -m bench.grid
	$(PY) -m bench.people
	$(PY) -m bench.tickets
	$(PY) -m bench.assessment
	$(PY) -m bench.integrity
	$(PY) -m bench.coverage
	$(PY) -m bench.scoring

clean:
	rm -rf $(VENV) data .pytest_cache
