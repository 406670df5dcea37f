# tiein — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` (auto: one per CPU; 0 runs the suite in one process)
TEST_WORKERS ?= auto

.PHONY: run test bench lint format install-run install-test chromium pdf-libraries messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-run the install whenever setup.cfg changes.
$(VENV)/.run-installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	touch $@

$(VENV)/.test-installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

install-run: $(VENV)/.run-installed
install-test: $(VENV)/.test-installed

## run: install, migrate, load the demo data when the database is empty, serve on :8000
run: install-run
	$(BIN)/tiein db upgrade
	$(BIN)/tiein demo load
	$(BIN)/tiein serve --host 127.0.0.1 --port 8000

## chromium: the browser tests drive Debian's Chromium (installed here when missing)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## pdf-libraries: WeasyPrint's system libraries and a CJK font, for the PDF tests (installed
## here when missing; `make run` works without them and says so when a PDF is asked for)
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
pdf-libraries:
	@dpkg -s $(PDF_PACKAGES) >/dev/null 2>&1 || { \
	  echo "installing WeasyPrint's libraries and a CJK font for the PDF tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(PDF_PACKAGES) >/dev/null; }

## test: install with the test extra, then run the whole suite (SQLite, and PostgreSQL when reachable)
## on TEST_WORKERS parallel workers, printing the 25 slowest steps
test: install-test chromium pdf-libraries
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

## bench: run every benchmark and print its figures
bench: install-test
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	@echo "== bench/backtest_forecast.py"; $(BIN)/python bench/backtest_forecast.py

## messages: extract the shop's and the e-mails' words (pybabel), merge them into the
## zh_Hans and ja catalogues, compile the .mo files (committed; a test checks they match)
LOCALES := zh_Hans ja
messages: install-test
	$(BIN)/pybabel extract -F babel.cfg -k t:2 --no-location --sort-output --omit-header -o storefront/locale/messages.pot .
	$(BIN)/pybabel extract -F babel-messaging.cfg --no-location --sort-output --omit-header -o messaging/locale/messages.pot .
	@for dir in storefront/locale messaging/locale; do for l in $(LOCALES); do \
	  if [ -f $$dir/$$l/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update -i $$dir/messages.pot -d $$dir -l $$l --no-fuzzy-matching; \
	  else $(BIN)/pybabel init -i $$dir/messages.pot -d $$dir -l $$l; fi; done; \
	  $(BIN)/pybabel compile -d $$dir --statistics; done

## lint: ruff check and ruff format --check
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache artifacts tiein.db tiein.db-wal tiein.db-shm \
	  tiein.db.localstripe.json tiein.db.mail
