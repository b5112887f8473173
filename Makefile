# reportal — `make run` for the local preview, `make test` for the whole suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test build check bench messages system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: create .venv, install, build every portal, start the local preview on 127.0.0.1:8000
run: $(STAMP)
	$(VENV)/bin/reportal serve

## build: render every portal into dist/
build: $(STAMP)
	$(VENV)/bin/reportal build

## system-deps: Debian packages the tests need (age CLI)
system-deps:
	@command -v age >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq age; \
	  else echo "please install the 'age' package (sudo apt-get install age)"; exit 1; fi; }

## test: create .venv if needed and run the whole suite
test: $(STAMP) system-deps
	$(PY) -m pytest -q

## messages: extract UI strings into translations/messages.pot and update every catalog
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -o translations/messages.pot --no-location --sort-output \
	  --project reportal --version 0.1 --msgid-bugs-address "" .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

clean:
	rm -rf dist build var .pytest_cache
