# Sinergi: `make run` serves the demo, `make test` runs the whole suite. Needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app 'workspace:create_app()'

.PHONY: run install serve test lint translations compile-translations vendor vnu clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

compile-translations: | $(BIN)/python
	@$(BIN)/pybabel compile --use-fuzzy -d translations >/dev/null 2>&1 || $(BIN)/pybabel compile -d translations

run: $(VENV)/.runtime-installed compile-translations
	$(FLASK) init-db
	$(FLASK) seed-demo
	$(BIN)/python app.py

# A real rakor, without the demo (docs/deploy.md): `make install`, then `flask create-event …`,
# then `SINERGI_HOST=0.0.0.0 make serve` on the hotel's network.
install: $(VENV)/.runtime-installed compile-translations
	$(FLASK) init-db
	$(FLASK) load-reference-data

serve: install
	$(BIN)/python app.py

# The suite runs on every core, and on at least three workers (pytest-xdist): the server and
# browser tests mostly wait on sockets, so two cores keep three busy. PYTEST_WORKERS=0 runs it in
# this one process.
PYTEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(max(os.cpu_count() or 1, 3))')
# Then the tests marked `alone` (they assert how fast the server answers while it works), on their
# own: what they measure is the app's load, not that of the other tests.
test: $(VENV)/.dev-installed compile-translations
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not alone" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m alone $(PYTEST_ARGS)

# Style, complexity (C901 ≤ 15), layers (import-linter), types (mypy), and sizes (files ≤ 500
# lines, functions ≤ 60) — the same checks CI runs before the suite.
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python .ci/check_sizes.py workspace

# Re-extract the English msgids and merge them into the Indonesian catalogue (then translate the new ones).
translations: $(VENV)/.runtime-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	    --ignore-dirs='.venv .git instance node_modules' -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete -w 100
	$(BIN)/pybabel compile -d translations --statistics

# Re-vendor the front-end files from their npm packages (needs npm; see static/vendor/README.md).
HTMX_VERSION := 2.0.11
SOCKETIO_CLIENT_VERSION := 4.8.1
AXE_CORE_VERSION := 4.14.1
vendor:
	rm -rf /tmp/sinergi-vendor && mkdir -p /tmp/sinergi-vendor
	cd /tmp/sinergi-vendor && npm pack --silent htmx.org@$(HTMX_VERSION) socket.io-client@$(SOCKETIO_CLIENT_VERSION) axe-core@$(AXE_CORE_VERSION) \
	    && mkdir htmx sio axe && tar xzf htmx.org-$(HTMX_VERSION).tgz -C htmx && tar xzf socket.io-client-$(SOCKETIO_CLIENT_VERSION).tgz -C sio \
	    && tar xzf axe-core-$(AXE_CORE_VERSION).tgz -C axe && sha256sum *.tgz
	mkdir -p static/vendor/htmx-$(HTMX_VERSION) static/vendor/socket.io-client-$(SOCKETIO_CLIENT_VERSION)
	cp /tmp/sinergi-vendor/htmx/package/dist/htmx.min.js /tmp/sinergi-vendor/htmx/package/LICENSE static/vendor/htmx-$(HTMX_VERSION)/
	cp /tmp/sinergi-vendor/sio/package/dist/socket.io.min.js /tmp/sinergi-vendor/sio/package/dist/socket.io.min.js.map \
	    /tmp/sinergi-vendor/sio/package/LICENSE static/vendor/socket.io-client-$(SOCKETIO_CLIENT_VERSION)/
	mkdir -p tests/e2e/vendor/axe-core-$(AXE_CORE_VERSION)
	cp /tmp/sinergi-vendor/axe/package/axe.min.js /tmp/sinergi-vendor/axe/package/LICENSE tests/e2e/vendor/axe-core-$(AXE_CORE_VERSION)/

# The Nu Html Checker for tests/test_html_validity.py: vnu-jar from npm, pinned and checked, unpacked
# into the git-ignored .cache/vnu (the ~30 MB jar is never committed; needs npm, and Java to run it).
# npm checks the registry's integrity (sha512-TkQd5DFfOaWC9ebtvozTsrH2Vaod3jYg+vrOeREzIXxBexLz9+rS2DNtjn7+RPUiZhgli0SghgBX6RJRNea0KA==);
# the sha256 below is checked here too. The test finds the jar at $(VNU_JAR), or where VNU_JAR says.
VNU_VERSION := 26.9.27
VNU_SHA256 := 5970d3ffca91a627cf0965e5d91bb2e4242307c29292998de0b419d6a901b2b7
VNU_DIR := .cache/vnu
VNU_JAR := $(VNU_DIR)/vnu.jar
vnu: $(VNU_DIR)/vnu-$(VNU_VERSION).jar
	ln -sfn vnu-$(VNU_VERSION).jar $(VNU_JAR)
	@echo "VNU_JAR=$(CURDIR)/$(VNU_JAR)"

$(VNU_DIR)/vnu-$(VNU_VERSION).jar:
	rm -rf $(VNU_DIR)/pack && mkdir -p $(VNU_DIR)/pack
	cd $(VNU_DIR)/pack && npm pack --silent vnu-jar@$(VNU_VERSION) >/dev/null
	echo "$(VNU_SHA256)  $(VNU_DIR)/pack/vnu-jar-$(VNU_VERSION).tgz" | sha256sum --check --quiet
	tar xzf $(VNU_DIR)/pack/vnu-jar-$(VNU_VERSION).tgz -C $(VNU_DIR)/pack package/build/dist/vnu.jar package/LICENSE
	mv $(VNU_DIR)/pack/package/LICENSE $(VNU_DIR)/LICENSE
	mv $(VNU_DIR)/pack/package/build/dist/vnu.jar $@
	rm -rf $(VNU_DIR)/pack

clean:
	rm -rf $(VENV) .pytest_cache test-output
