# The README's commands. `make test` works on a fresh machine: it builds what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The library alone on the oldest SQLAlchemy we support: proves the core needs only
# sqlalchemy + pydantic (and psycopg for PostgreSQL) and that SQLAlchemy 2.0 works.
CORE_VENV := .venv-core-sqlalchemy2.0
CORE_STAMP := $(CORE_VENV)/.installed

.PHONY: install demo test lint pytest test-core notebooks bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CORE_STAMP): pyproject.toml
	test -x $(CORE_VENV)/bin/python || $(PYTHON) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CORE_VENV)/bin/python -m pip install --quiet 'sqlalchemy>=2.0,<2.1' 'pydantic>=2.5,<3' \
		'psycopg[binary]>=3.1' pytest
	$(CORE_VENV)/bin/python -m pip install --quiet --no-deps -e .
	touch $(CORE_STAMP)

install: $(STAMP)

# The demo store (100,000 events), built once; then the dashboard on 127.0.0.1.
DEMO_DB := demo.db
$(DEMO_DB): | $(STAMP)
	$(BIN)/python -m workbench demo --db $(DEMO_DB).part --force
	mv $(DEMO_DB).part $(DEMO_DB)

demo: install $(DEMO_DB)
	$(BIN)/python -m workbench serve sqlite:///$(DEMO_DB) --app workbench.demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test-core: $(CORE_STAMP)
	$(CORE_VENV)/bin/python -m pytest -q -p no:cacheprovider -o filterwarnings=error \
		tests/contract tests/event_sourcery

notebooks: install
	$(BIN)/pytest -q -p no:cacheprovider --nbmake notebooks

test: lint pytest test-core notebooks

# Both suites run even when the first fails; the target fails if either did.
bench: install
	status=0; \
	$(BIN)/python -m benchmarks || status=$$?; \
	$(BIN)/python -m benchmarks.workbench_rows || status=$$?; \
	exit $$status

clean:
	rm -rf $(VENV) $(CORE_VENV) .bench
