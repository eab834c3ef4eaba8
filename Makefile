# kiter's two entry points on a fresh machine (Python 3.11+, Java 17+, Node 20):
#   make demo   set up, then run the end-to-end demo on the embedded local stack
#   make test   set up, then run ruff, mypy and every test tier
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kiter-installed

.PHONY: setup demo test lint unit clean

setup: $(STAMP) tests/kinesalite/node_modules

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[local,test]'
	touch $(STAMP)

tests/kinesalite/node_modules: tests/kinesalite/package.json tests/kinesalite/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix tests/kinesalite
	touch tests/kinesalite/node_modules

demo: setup
	$(BIN)/kiter demo

lint: setup
	$(BIN)/ruff check control tests bench
	$(BIN)/ruff format --check control tests bench
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q -m "not functional and not integration"

test: lint
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) tests/kinesalite/node_modules
