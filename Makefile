# The course's two commands:  make lab  (open the notebooks)  and  make test  (run every test).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# BLAS threads: `import course_utils` limits BLAS to one thread (the one setting; docs/PERFORMANCE.md).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: lab test lint translations check test-course test-determinism test-browser test-book book book-deps browser-deps grade-deps \
	venv clean student grade nbgrader-source nbgrader-deps test-nbgrader playground bench

venv: $(STAMP)

# (Re)install whenever the pins or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)" >/dev/null
	@touch $(STAMP)

# Serves the repository (so the notebooks' links to GLOSSARY.md work) and opens notebooks/.
lab: $(STAMP)
	@echo "Opening JupyterLab - open the http://127.0.0.1:8888/lab/tree/notebooks?token=... URL printed below."
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks \
		--ip=127.0.0.1 --port=8888 --no-browser --allow-root

# Every test: lint, the library and every notebook, a second execution for determinism, the widgets in
# a real browser, and the static site.
test: lint test-course test-determinism test-browser test-book test-nbgrader

# The Chinese editions: catalogs (locales/) from the English notebooks, then notebooks/zh-CN/ and zh-TW/.
translations: $(STAMP)
	$(PY) -m tools.translations update

# ruff (pyproject.toml [tool.ruff]): lint of the library, tools, tests and the notebooks' code cells; the
# Python files' format.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The quick loop while writing: library tests and every notebook once.
check: test-course

# Unit and property tests of course_utils, every notebook executed under nbval, hygiene, exercises,
# the TA kit; each check.claim value is logged for the determinism run.
test-course: $(STAMP) grade-deps
	@mkdir -p build && rm -f build/claims-first.jsonl
	COURSE_CLAIMS_LOG=$(CURDIR)/build/claims-first.jsonl MPLBACKEND=Agg $(PY) -m pytest -n $(JOBS) --dist loadfile \
		--nbval-lax --nbval-current-env --ignore=tests/browser --ignore=tests/book --ignore=tests/rerun --ignore=tests/nbgrader \
		--cov=course_utils --cov-report=term $(PYTEST_ARGS)

# Every notebook executed a second time in a fresh kernel: the same claim values.
test-determinism: test-course
	MPLBACKEND=Agg $(PY) -m pytest -n $(JOBS) -p no:cacheprovider tests/rerun $(PYTEST_ARGS)

# The optimizer playground as an app (Voila on 127.0.0.1, token on, idle kernels culled); prints the URL.
# HOST=0.0.0.0 PORT=9000 to serve it elsewhere (e.g. to a lecture room's network).
playground: $(STAMP)
	$(PY) -m tools.playground $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

# Debian's Chromium drives the browser tests (never a browser that playwright downloads).
browser-deps:
	@test -x /usr/bin/chromium || { test "$$(id -u)" = 0 && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; } || \
		{ echo "make: the browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; }

# Real-browser tests of the widgets (JupyterLab and the Voila app).
test-browser: $(STAMP) browser-deps
	$(PY) -m pytest -p no:cacheprovider tests/browser -v $(PYTEST_ARGS)

# The course as a website: Jupyter Book 1 in its own venv (see README "Read it as a website").
BOOK_VENV    := .venv-book
BOOK_PY      := $(BOOK_VENV)/bin/python
BOOK_STAMP   := $(BOOK_VENV)/.installed
BOOK_SITE    := _build/html/.course-book.json
BOOK_SOURCES := $(wildcard notebooks/*.ipynb notebooks/zh-*/*.ipynb) GLOSSARY.md README.md tools/build_book.py \
                $(shell find book course_utils -type f -not -path '*/__pycache__/*')

$(BOOK_STAMP): requirements.txt requirements-book.txt pyproject.toml
	@test -x $(BOOK_PY) || $(PYTHON) -m venv $(BOOK_VENV)
	$(BOOK_PY) -m pip install --quiet --upgrade pip
	$(BOOK_PY) -m pip install --quiet -r requirements.txt -r requirements-book.txt
	$(BOOK_PY) -m pip install --quiet --no-deps -e .
	@touch $(BOOK_STAMP)

# What the site build needs from the network: its venv and three npm packages (MathJax, RequireJS,
# the widgets' embedder), fetched once into build/book/npm/.
book-deps: $(BOOK_STAMP)
	@command -v npm >/dev/null || { test "$$(id -u)" = 0 && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; } || \
		{ echo "make: the site build needs npm: sudo apt-get install npm"; exit 1; }
	$(BOOK_PY) -m tools.build_book --fetch-only

# Executes every notebook and builds _build/html/ (only when a source is newer than the site).
book: $(BOOK_SITE)

$(BOOK_SITE): $(BOOK_STAMP) $(BOOK_SOURCES) | book-deps
	$(BOOK_PY) -m tools.build_book --jobs $(JOBS)

test-book: $(BOOK_SITE) browser-deps
	COURSE_BOOK_TESTS=1 $(BOOK_PY) -m pytest -p no:cacheprovider tests/book $(PYTEST_ARGS)

# Benchmarks against PyTorch where a torch environment exists (docs/PERFORMANCE.md).
bench: $(STAMP) grade-deps
	$(PY) -m tools.bench $(BENCH_ARGS)

# Teaching assistants: the student version (solutions stubbed) and grading of submissions.
student: $(STAMP)
	$(PY) -m tools.student --out dist/student

nbgrader-source: $(STAMP)
	$(PY) -m tools.student --nbgrader-source --out dist/nbgrader

# Real nbgrader in its own venv (the course's pins plus nbgrader, not course_utils: each assignment
# carries its copy): generate_assignment and autograde (solutions: every point; stub: none) per chapter.
NBG_VENV  := .venv-nbgrader
NBG_STAMP := $(NBG_VENV)/.installed
$(NBG_STAMP): requirements.txt
	@test -x $(NBG_VENV)/bin/python || $(PYTHON) -m venv $(NBG_VENV)
	$(NBG_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NBG_VENV)/bin/python -m pip install --quiet -r requirements.txt nbgrader==0.9.6
	@touch $(NBG_STAMP)

nbgrader-deps: $(NBG_STAMP)

test-nbgrader: $(NBG_STAMP)
	JOBS=$(JOBS) $(NBG_VENV)/bin/python -m pytest -p no:cacheprovider tests/nbgrader $(PYTEST_ARGS)

# The grader runs students' code in bubblewrap (Debian's bubblewrap package) when it can.
grade-deps:
	@command -v bwrap >/dev/null || { test "$$(id -u)" = 0 && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; } || \
		{ echo "make: the grader's sandbox needs bubblewrap: sudo apt-get install bubblewrap"; exit 1; }

grade: $(STAMP) grade-deps
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-of-submitted-notebooks [JOBS=n]"; exit 2; }
	$(PY) -m tools.grade "$(SUBMISSIONS)" --out grades --jobs $(JOBS) --timeout $(or $(TIMEOUT),120) \
		$(if $(ROSTER),--roster "$(ROSTER)")

clean:
	rm -rf $(VENV) $(BOOK_VENV) build dist _build grades .pytest_cache .coverage htmlcov
