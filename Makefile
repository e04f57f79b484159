# The course's two commands:  make lab  (open the notebooks)  and  make test  (run every test).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Small matrices run fastest on one BLAS thread (see docs/PERFORMANCE.md); course_utils sets this too.
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
JOBS ?= 2

.PHONY: lab test venv clean student grade nbgrader-source

venv: $(STAMP)

# (Re)install whenever the pins or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)" >/dev/null
	@touch $(STAMP)

lab: $(STAMP)
	@echo "Opening JupyterLab on notebooks/ - open the http://127.0.0.1:8888/lab?token=... URL printed below."
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --port=8888 --no-browser --allow-root

test: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest -n $(JOBS) --dist loadfile --nbval-lax --nbval-current-env \
		--cov=course_utils --cov-report=term $(PYTEST_ARGS)

# Teaching assistants: the student version (solutions stubbed) and grading of submissions.
student: $(STAMP)
	$(PY) tools/student.py --out dist/student

nbgrader-source: $(STAMP)
	$(PY) tools/student.py --nbgrader-source --out dist/nbgrader

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-of-submitted-notebooks"; exit 2; }
	$(PY) tools/grade.py "$(SUBMISSIONS)" --out grades

clean:
	rm -rf $(VENV) build dist _build .pytest_cache .coverage htmlcov
