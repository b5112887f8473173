# reportal — `make run` for the local preview, `make test` for the whole suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: run test build check bench messages golden lock system-deps screenshots workbench-screenshots clean

# Exact versions with hashes, the same on every machine: requirements-dev.lock for make run /
# make test (core + preview + screenshots + dev), requirements.lock for the hotline's machine
# (core only). `make lock` regenerates both from pyproject.toml.
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock
UV_VERSION := 0.13.9
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock'

$(STAMP): pyproject.toml $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## lock: after changing dependencies in pyproject.toml, regenerate both lock files (needs PyPI)
lock:
	@[ -x $(VENV)/bin/uv ] || { [ -x $(PY) ] || $(PYTHON) -m venv $(VENV); $(PY) -m pip install --quiet uv==$(UV_VERSION); }
	$(UV_COMPILE) -o $(LOCK)
	$(UV_COMPILE) --extra dev -o $(DEV_LOCK)

## run: create .venv, install, build every portal, start the local preview on 127.0.0.1:8000
run: $(STAMP)
	$(VENV)/bin/reportal serve --port $(PORT)

## build: render every portal into dist/
build: $(STAMP)
	$(VENV)/bin/reportal build

## system-deps: Debian packages the tests need (age CLI; systemd-analyze for infra/systemd; Chromium, Java and npm for tests/browser;
## Noto fonts so Arabic, Urdu, Hebrew, Devanagari, Bengali and Thai pages show their script, not boxes). Each entry is
## `command:package` or `/file:package`; only what is missing is installed, without recommended packages.
## (No portal uses Chinese yet; one that does needs fonts-noto-cjk here.)
NOTO := /usr/share/fonts/truetype/noto
SYSTEM_DEPS := age:age systemd-analyze:systemd chromium:chromium java:default-jre-headless npm:npm \
	$(NOTO)/NotoNastaliqUrdu-Regular.ttf:fonts-noto-core $(NOTO)/NotoSansDevanagari-Regular.ttf:fonts-noto-core
system-deps:
	@missing=""; for dep in $(SYSTEM_DEPS); do what=$${dep%%:*}; pkg=$${dep#*:}; \
	  case $$what in /*) [ -e $$what ];; *) command -v $$what >/dev/null 2>&1;; esac || \
	  case " $$missing " in *" $$pkg "*) ;; *) missing="$$missing $$pkg";; esac; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "please install:$$missing (sudo apt-get install --no-install-recommends$$missing)"; exit 1; fi; fi

## browser-tools: axe-core, the Nu HTML checker (vnu.jar) and Lighthouse, pinned in tests/browser/package-lock.json
## (--ignore-scripts: vnu-jar's postinstall would download a Java; Debian's is used instead; Lighthouse 13
## asks for Node 22 and runs on Debian's Node 20, the engine warning silenced by --loglevel=error)
BROWSER_TOOLS := tests/browser/node_modules/.package-lock.json
$(BROWSER_TOOLS): tests/browser/package.json tests/browser/package-lock.json | system-deps
	cd tests/browser && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

## screenshots: docs/portals/<cc>.png, each portal's report page at a phone's width (Noto fonts: system-deps)
screenshots: $(STAMP) system-deps
	$(VENV)/bin/reportal screenshots --out docs/portals

## workbench-screenshots: docs/workbench/<screen>.png, taken during the workbench's browser walk
workbench-screenshots: $(STAMP) $(BROWSER_TOOLS)
	REPORTAL_WORKBENCH_SCREENSHOTS=docs/workbench $(PY) -m pytest -q tests/browser/test_workbench.py -k walk

## test: create .venv if needed and run the whole suite (Hypothesis profile `ci`: thorough;
## a plain `pytest` uses the quick `dev` profile)
test: $(STAMP) system-deps $(BROWSER_TOOLS)
	$(PY) -m pytest -q --hypothesis-profile=ci

## bench: measure build, page weight, function, inbox and Lighthouse performance against their floors
## (docs/performance.md); prints one table, writes bench/results.json
bench: $(STAMP) system-deps $(BROWSER_TOOLS)
	$(PY) -m bench

## messages: extract UI strings into translations/messages.pot and update every catalog
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -o translations/messages.pot.new --no-location --sort-output \
	  --project reportal --version 0.1 --msgid-bugs-address "" .
	@# = pybabel update --no-fuzzy-matching, but keeping X-Reviewed-By-Native-Speaker (docs/translating.md)
	$(PY) -c 'import pathlib; from reportal.site.catalogs import update_catalogs; \
	  [print("updated", p) for p in update_catalogs(pathlib.Path("translations/messages.pot.new"), pathlib.Path("translations"))]'

## golden: rewrite tests/golden/dist from the golden fixture portal (on purpose only; review the diff)
golden: $(STAMP)
	REPORTAL_GOLDEN=update $(PY) -m pytest -q tests/site/test_golden.py

clean:
	rm -rf dist build var .pytest_cache
