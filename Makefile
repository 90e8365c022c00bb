# A2N developer entry points. Needs only Python >= 3.11, pip and git: every tool is installed on demand,
# the app in .venv, AWS SAM CLI + cfn-lint in .tools/sam (SAM pins old boto3/pydantic/click, so it
# never shares the app's venv) and checkov in .tools/checkov (its own pins, likewise). No Docker.

SHELL := /bin/bash
export SAM_CLI_TELEMETRY := 0
PYTHON ?= python3
VENV := .venv
TOOLS := .tools/sam
SAM := $(TOOLS)/bin/sam
STAMP_VENV := $(VENV)/.a2n-installed
STAMP_TOOLS := $(TOOLS)/.a2n-installed
SAM_TOOLS := aws-sam-cli aws-sam-translator cfn-lint
CHECKOV := .tools/checkov
STAMP_CHECKOV := $(CHECKOV)/.a2n-installed
FUZZ := .tools/fuzz
CLIENTGEN := .tools/openapi-client

# A CPython 3.12 (the Lambda runtime): SAM's python builder insists on finding it on PATH, and the layers
# are precompiled with it. Looked up on PATH, then in pyenv; an empty result means none.
PY312 ?= $(shell for p in python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) \
	/usr/local/bin/python3.12 /usr/bin/python3.12; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null && { command -v "$$p"; break; }; \
	done)

.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

# --- environments -------------------------------------------------------------------------------------
# Stamps make the installs idempotent: pip runs again only when pyproject.toml changes.
$(STAMP_VENV): pyproject.toml
	@echo "==> .venv: installing a2n and its dev dependencies"
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

$(STAMP_TOOLS):
	@echo "==> .tools/sam: installing $(SAM_TOOLS)"
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check $(SAM_TOOLS)
	@touch $@

$(STAMP_CHECKOV):
	@echo "==> .tools/checkov: installing checkov"
	@test -x $(CHECKOV)/bin/python || $(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(CHECKOV)/bin/python -m pip install --quiet --disable-pip-version-check 'checkov>=3,<4'
	@touch $@

venv: $(STAMP_VENV)  ## create/refresh .venv (the app, tests, ruff, mypy)

tools: $(STAMP_TOOLS) $(STAMP_CHECKOV) $(FUZZ)/.a2n-installed $(CLIENTGEN)/.a2n-installed  ## create .tools/sam (SAM CLI, samtranslator, cfn-lint), .tools/checkov, .tools/fuzz (schemathesis), .tools/openapi-client

# --- everyday -----------------------------------------------------------------------------------------
# `make dev PORT=3100 MOTO_PORT=4567 POSTGRES_PORT=54330 DATA_DIR=.a2n/pg ALLOW_NETWORK="127.0.0.1/32"`:
# each variable set becomes the `a2n dev` flag of the same meaning; ARGS passes anything else through.
# The a2n command itself is .venv/bin/a2n (or `source .venv/bin/activate`, then `a2n`).
A2N := $(VENV)/bin/a2n
DEV_FLAGS = $(if $(PORT),--port $(PORT)) $(if $(MOTO_PORT),--moto-port $(MOTO_PORT)) \
	$(if $(POSTGRES_PORT),--postgres-port $(POSTGRES_PORT)) $(if $(DATA_DIR),--data-dir $(DATA_DIR)) \
	$(foreach network,$(ALLOW_NETWORK),--allow-network $(network))

dev: venv  ## run the whole stack locally (PORT=3000 MOTO_PORT=4566 POSTGRES_PORT=54329 DATA_DIR ALLOW_NETWORK)
	$(A2N) $(strip dev $(DEV_FLAGS) $(ARGS))

invoke: venv  ## run one function on one event, against a running `make dev` if any: FUNCTION=… EVENT=…
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke FUNCTION=HealthFunction" \
		"EVENT=events/apigw-http-v2-health.json [ARGS='--env-vars env.json']"; exit 2; }
	$(A2N) $(strip invoke $(FUNCTION) $(EVENT) $(ARGS))

db-upgrade: venv  ## apply the migrations to DATABASE_URL (`make dev` applies them itself)
	$(A2N) db upgrade

db-current: venv  ## show the migration DATABASE_URL is at
	$(A2N) db current

test: venv tools  ## run every test (unit, integration, e2e; the template tests translate with .tools/sam)
	$(VENV)/bin/pytest -q

bench: venv  ## measure the engine and API budgets on embedded Postgres (table + bench-results/bench.json)
	$(VENV)/bin/a2n bench

docs: venv  ## regenerate the generated parts of docs/ (API reference, node reference)
	$(A2N) docs

test-unit: venv tools  ## run the pure unit tests only
	$(VENV)/bin/pytest -q tests/unit

sandbox-packages: venv  ## install layers/sandbox/requirements.txt for local code nodes (layers/sandbox/python)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade \
		--target layers/sandbox/python -r layers/sandbox/requirements.txt

# schemathesis lives in its own venv (.tools/fuzz): its pins must not move the app's dependencies.
# tests/e2e/test_openapi_conformance.py runs it (bounded) in `make test`; `make fuzz` runs every phase.
FUZZ_URL ?= http://127.0.0.1:3000
FUZZ_EXAMPLES ?= 25
$(FUZZ)/.a2n-installed:
	@echo "==> .tools/fuzz: installing schemathesis"
	@test -x $(FUZZ)/bin/python || $(PYTHON) -m venv $(FUZZ)
	$(FUZZ)/bin/python -m pip install --quiet --disable-pip-version-check 'schemathesis>=4.32,<5'
	@touch $@

# openapi-python-client, likewise in its own venv: tests/e2e/test_generated_client.py generates a client
# from GET /openapi.json with it and drives the API through that client (with the venv's httpx).
$(CLIENTGEN)/.a2n-installed:
	@echo "==> .tools/openapi-client: installing openapi-python-client"
	@test -x $(CLIENTGEN)/bin/python || $(PYTHON) -m venv $(CLIENTGEN)
	$(CLIENTGEN)/bin/python -m pip install --quiet --disable-pip-version-check 'openapi-python-client>=0.29,<0.30'
	@touch $@

fuzz: $(FUZZ)/.a2n-installed  ## schemathesis vs a running `make dev` (FUZZ_URL, FUZZ_EXAMPLES); fails on 5xx/undeclared answers
	$(FUZZ)/bin/python .ci/fuzz.py --url $(FUZZ_URL) --max-examples $(FUZZ_EXAMPLES)

lint: venv tools  ## ruff, mypy --strict on shared/a2n, template checks (cfn-lint, sam validate, checkov)
	@echo "==> ruff"
	$(VENV)/bin/ruff check shared tests functions .ci
	@echo "==> mypy (strict, shared/a2n)"
	$(VENV)/bin/mypy
	@$(MAKE) --no-print-directory validate

validate: tools  ## every stack (template.yaml + nested): samtranslator -> count -> cfn-lint, sam validate --lint, checkov
	@echo "==> templates: samtranslator transform -> resources per stack -> cfn-lint"
	$(TOOLS)/bin/python .ci/check_template.py --out .aws-sam/translated template.yaml
	@echo "==> templates: sam validate --lint (each)"
	@for t in $$($(TOOLS)/bin/python .ci/check_template.py --list template.yaml); do \
		AWS_DEFAULT_REGION=us-east-1 $(SAM) validate --lint --template-file "$$t" || exit 1; \
	done
	@echo "==> templates: checkov on the translated stacks (skips justified in .ci/checkov.yaml)"
	$(CHECKOV)/bin/checkov --config-file .ci/checkov.yaml -d .aws-sam/translated

# --- AWS ----------------------------------------------------------------------------------------------
# A directory holding only a `python3.12` link, so SAM finds the runtime without the rest of pyenv.
.tools/py312/python3.12:
	@test -n "$(PY312)" || { echo "make build needs a CPython 3.12 (the Lambda runtime): install it" \
		"(pyenv install 3.12, or your OS's python3.12) and retry"; exit 1; }
	@mkdir -p $(@D) && ln -sf "$(PY312)" $@

build: tools .tools/py312/python3.12  ## sam build: function code + both layers (arm64 wheels, .pyc), no Docker
	@echo "==> sam build (layers with $(PY312))"
	PATH="$(CURDIR)/.tools/py312:$$PATH" A2N_PY312="$(CURDIR)/.tools/py312/python3.12" \
		PIP="$(CURDIR)/$(TOOLS)/bin/python -m pip" SAM_CLI_TELEMETRY=0 \
		$(SAM) build --parallel --template-file template.yaml

print-py312:  ## show the CPython 3.12 used by `make build` (empty: none found)
	@echo "$(PY312)"

deploy: build  ## first deploy: guided (then `sam deploy` or `sam deploy --config-env prod`)
	@echo "Run:  $(SAM) deploy --guided            (dev; answers saved to samconfig.toml)"
	@echo "      $(SAM) deploy --config-env prod   (prod; confirms the change set)"
	@echo "Then apply migrations:  aws lambda invoke --function-name <stack>-migrate /dev/stdout"

clean:  ## remove build output and caches (keeps .venv, .tools and local data in .a2n)
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
	find . -path ./.venv -prune -o -path ./.tools -prune -o -name __pycache__ -type d -exec rm -rf {} +

.PHONY: help venv tools dev invoke db-upgrade db-current test bench docs test-unit sandbox-packages fuzz lint validate build print-py312 deploy clean
