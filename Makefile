# synaesthete: two commands, `make demo` and `make test`, both from a fresh clone.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench device clean system-deps

# Create the virtualenv and install the project. A CPU build of torch is installed
# first when one is reachable (a local wheel on CPU-only build machines): otherwise
# pip resolves the pyproject range as usual.
$(STAMP): pyproject.toml .ci/install.sh
	$(PYTHON) -m venv $(VENV)
	bash .ci/install.sh $(PY)
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/synaesthete demo

test: $(STAMP) system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	bash .ci/with-display.sh $(PY) -m pytest -q -p no:cacheprovider

# xvfb (window tests) and liblo-tools (OSC interop tests), only where we are root with apt.
system-deps:
	@bash .ci/system-deps.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) bench/osc_ingest.py
	$(PY) bench/compositor.py
	$(PY) bench/generator.py
	$(PY) bench/latency.py
	$(PY) bench/render.py
	$(PY) bench/style_switch.py

device: $(STAMP)
	$(VENV)/bin/synaesthete build-device

clean:
	rm -rf $(VENV) dist build *.egg-info
