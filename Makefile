# The jobs, by name. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export CARGO_TERM_COLOR ?= never

# The demo's stack on the local emulator (samconfig.toml's local stack_name, where the local
# settings live), and the phone number it signs in.
# Read only by the targets that use it, so the others (help, lint, unit, ...) never run it.
LOCAL_STACK = $(or $(shell python3 tools/local_config.py stack-name),$(error cannot read the local stack_name from samconfig.toml (tools/local_config.py, Python 3.11+)))
STACK ?= $(LOCAL_STACK)
DEMO_PHONE ?= +15555550100
# What the demo deploys differently from samconfig.toml's local parameters (tools/local-deploy.sh
# merges these on top): it signs the same number in again and again; at the default 5 SMS an
# hour the sixth run would get no code. (make e2e deploys its own stack with the template's
# default limit and tests it.)
LOCAL_PARAMS ?= MaxSmsPerNumberPerHour=30 MaxSmsPerNumberPerDay=200
# npm audit of web/ fails at and above this severity (make web-audit; docs/clients.md, The sign-in page).
WEB_AUDIT_LEVEL ?= moderate

.PHONY: help test lint unit sdk-only-in-create template-lint arm64 build-arm64 web-unit e2e cdk cdk-synth docs smoke tools up down build-local deploy-local demo web web-audit bench cost load-report publish fuzz

help: ## List the jobs
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

test: lint sdk-only-in-create unit template-lint arm64 web-unit docs e2e cdk ## Every test: lints (and the docs' links), unit and handler tests (and the generated docs), template lint and policy scan, the arm64 build under qemu, the sign-in page's unit tests, the book, end-to-end through the local stack (with the browser test), the CDK construct

# What make lint checks besides the Rust code: every shell script, the Python tools, and the links
# of the front page and the book.
SHELL_SCRIPTS := $(wildcard tools/*.sh) fuzz/seed.sh .ci/run
PYTHON_DIRS := tools bench/baseline
DOC_PAGES := README.md cdk/README.md $(wildcard docs/*.md)

lint: ## shellcheck on the shell scripts, ruff check and ruff format --check on the Python tools, lychee on the docs' links (offline: files and anchors), from .venv/lint; cargo fmt --check and clippy with warnings as errors, for the workspace and for the fuzz targets (their own workspace, so they are built nowhere else)
	tools/install.sh lint
	.venv/lint/bin/shellcheck -x $(SHELL_SCRIPTS)
	.venv/lint/bin/ruff check $(PYTHON_DIRS)
	.venv/lint/bin/ruff format --check $(PYTHON_DIRS)
	.venv/lint/bin/lychee --offline --include-fragments --no-progress $(DOC_PAGES)
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo fmt --manifest-path fuzz/Cargo.toml -- --check
	cargo clippy --manifest-path fuzz/Cargo.toml --target-dir target/fuzz --all-targets -- -D warnings

unit: ## Unit tests, the handler tests over events/, property tests, the generated docs against the code, the Python tools' tests
	cargo test --workspace
	python3 -m unittest discover -s tools -p 'test_*.py'

sdk-only-in-create: ## Only create, verify and the existing-pool custom resource (attach-triggers, deploy time only) link the AWS SDK (pre-sign-up and define never); no function links the test kit
	@for bin in pre-sign-up define-auth-challenge; do \
	  if cargo tree -q -p $$bin -e normal | grep -E 'aws-(sdk|config|smithy)'; then \
	    echo "$$bin links the AWS SDK" >&2; exit 1; fi; done
	@cargo tree -q -p create-auth-challenge -e normal | grep -q aws-sdk-sns
	@cargo tree -q -p verify-auth-challenge -e normal | grep -q aws-sdk-dynamodb
	@cargo tree -q -p attach-triggers -e normal | grep -q aws-sdk-cognitoidentityprovider
	@for bin in pre-sign-up define-auth-challenge create-auth-challenge verify-auth-challenge; do \
	  if cargo tree -q -p $$bin -e normal | grep -E 'aws-sdk-(cognitoidentityprovider|cloudformation)'; then \
	    echo "$$bin links the Cognito or CloudFormation SDK, which only attach-triggers needs" >&2; exit 1; fi; done
	@echo "AWS SDK: linked by create-auth-challenge (SNS, DynamoDB), verify-auth-challenge (DynamoDB) and attach-triggers (Cognito, CloudFormation; the existing-pool custom resource, run at deploy time only) only"
	@for bin in pre-sign-up define-auth-challenge create-auth-challenge verify-auth-challenge attach-triggers; do \
	  if cargo tree -q -p $$bin -e normal,features | grep -F 'sms-otp-core feature "test-util"'; then \
	    echo "$$bin links the test kit (sms-otp-core's test-util feature)" >&2; exit 1; fi; done
	@echo "Test kit: linked by no function"

template-lint: tools ## sam validate --lint, cfn-lint and the checkov policy scan on template.yaml, no findings
	source tools/env.sh && SAM_CLI_TELEMETRY=0 sam validate --lint && cfn-lint template.yaml
	.venv/checkov/bin/checkov --file template.yaml --framework cloudformation --compact --quiet --skip-download
	@echo "template.yaml: sam validate --lint, cfn-lint and checkov clean (each checkov suppression is justified in the template)"

build-arm64: tools ## sam build for arm64 (the template's default) into .aws-sam/build, as before sam deploy
	tools/arm64.sh build

arm64: build-arm64 ## The arm64 bootstraps under qemu-user: every sample event answered as expected (installs qemu-user)
	tools/arm64.sh run

web-unit: ## The sign-in page (web/): npm ci, type check, unit tests of its sign-in and phone modules
	tools/web-deps.sh
	cd web && node_modules/.bin/tsc --noEmit && NO_COLOR=1 node_modules/.bin/vitest run

e2e: tools ## End-to-end tests: deploy onto the local stack, sign in for real (Rust client, then the page in headless Chromium), clean up
	tools/e2e.sh

# jsii warns that Node.js 20 is past its end of life; the project supports Node 20.19+ (as web/ does).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

cdk: tools ## The CDK construct (cdk/): npm ci, strict type check, the jsii build (jsii-compatible API), vitest (assertions, cdk-nag, parity with template.yaml), then deployed onto the local emulator and signed in through (tools/cdk-e2e.sh)
	tools/npm-ci.sh cdk
	cd cdk && node_modules/.bin/tsc -p tsconfig.dev.json
	cd cdk && node_modules/.bin/jsii --fail-on-warnings --silence-warnings=reserved-word
	cd cdk && NO_COLOR=1 node_modules/.bin/vitest run
	tools/cdk-e2e.sh

cdk-synth: tools ## Synthesize the example app (cdk/example/app.ts, the one docs/cdk.md shows) into cdk/cdk.out; cargo lambda builds its functions for arm64 (CDK_CONTEXT_JSON='{"bootstraps":"../.aws-sam/build"}' takes make build-arm64's)
	tools/npm-ci.sh cdk
	source tools/env.sh && cd cdk && rm -rf cdk.out && CDK_OUTDIR=cdk.out node_modules/.bin/tsx --tsconfig tsconfig.dev.json example/app.ts
	@echo "cdk-synth: cdk/cdk.out/SmsPasswordless.template.json"

docs: ## Build the book (docs/, mdBook from tools/mdbook.sh) into target/book; the generated parts: cargo xtask docs
	tools/mdbook.sh
	.venv/mdbook/bin/mdbook build docs

tools: ## Install the pinned tools into .venv/ (idempotent)
	tools/install.sh

up: tools ## Start the local emulator on 127.0.0.1:$LOCAL_STACK_PORT, default 4566 (idempotent; log in .local/ministack.log)
	tools/local-stack.sh up

down: ## Stop the local emulator
	tools/local-stack.sh down

build-local: tools ## sam build for this machine's architecture, into .aws-sam/build-local
	tools/local-deploy.sh --build-only

deploy-local: tools ## sam build for this machine and sam deploy onto the local emulator
	LOCAL_STACK_NAME=$(STACK) tools/local-deploy.sh $(LOCAL_PARAMS)

# make smoke: the local emulator for the local demo's stack, else the AWS account of your shell.
LOCAL ?= $(if $(filter $(LOCAL_STACK),$(STACK)),1,)
smoke: ## After a deploy: each function of STACK starts and answers a harmless event (LOCAL=1: the local emulator)
	LOCAL=$(LOCAL) tools/smoke.sh $(STACK)

demo: deploy-local ## The main job: local stack up, template deployed, a phone number signed up and in
	source tools/local-env.sh && cargo run -q -p signin-client --bin signin -- --stack-name $(STACK) demo --phone '$(DEMO_PHONE)' --sms-inbox "$$AWS_ENDPOINT_URL"
	@printf '\nThe sign-in page, against this stack: make web   (then open http://127.0.0.1:5173)\n'

web: tools ## The sign-in page at http://127.0.0.1:5173 against the local stack (deploys it first if needed)
	LOCAL_STACK_NAME=$(STACK) tools/web.sh $(LOCAL_PARAMS)

web-audit: ## npm audit of web/'s packages, failing at the level docs/clients.md states
	cd web && npm audit --audit-level=$(WEB_AUDIT_LEVEL)

bench: build-local build-arm64 bench/node/node_modules/.installed ## Benchmark the release bootstraps against the budgets, a Node.js peer and a Python baseline (and the arm64 sizes); writes docs/benchmark.md and docs/benchmark.json
	cargo run -q --release -p bench -- $(BENCH_ARGS)

# The Node.js peer's packages, exactly as bench/node/package-lock.json pins them (npm ci), again
# only when the lock changes. aws-lambda-ric is optional: it compiles a native addon (cmake,
# autoconf, automake, libtool, g++); without it the benchmark runs the peers under loop.mjs.
bench/node/node_modules/.installed: bench/node/package-lock.json bench/node/package.json
	cd bench/node && npm ci --no-audit --no-fund
	touch $@

# make cost with the defaults writes docs/cost.md; with COST_ARGS it only prints.
cost: ## Monthly cost of N sign-ins, this project vs Cognito Essentials, and of SMS pumping, from docs/benchmark.json; writes docs/cost.md (COST_ARGS, e.g. --mau 50000: print only)
	@segments=$$(cargo run -q -p sms-otp-core --example sms_segments) && \
	  python3 tools/cost_model.py --sms-segments $$segments $(if $(strip $(COST_ARGS)),$(COST_ARGS),--write docs/cost.md)

load-report: tools ## make e2e, with the load test's report written to docs/load.md (LOAD_REPORT)
	LOAD_REPORT=docs/load.md tools/e2e.sh

# make publish: the repository's address, written into the SAR metadata's HomePageUrl and
# SourceCodeUrl (placeholders in template.yaml), and the bucket sam package uploads to.
REPOSITORY_URL ?=
S3_BUCKET ?=
publish: ## Publish to the Serverless Application Repository: REPOSITORY_URL=https://... S3_BUCKET=... (refuses the template's placeholder URL)
	python3 tools/publish.py --check --repository-url '$(REPOSITORY_URL)' --s3-bucket '$(S3_BUCKET)'
	$(MAKE) build-arm64
	source tools/env.sh && python3 tools/publish.py --repository-url '$(REPOSITORY_URL)' --s3-bucket '$(S3_BUCKET)'

FUZZ_SECONDS ?= 60
fuzz: ## cargo fuzz, every target for FUZZ_SECONDS each (needs a nightly toolchain; installs cargo-fuzz)
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
	fuzz/seed.sh
	for target in metadata define verify create pre_sign_up; do \
	  cargo +nightly fuzz run $$target -- -dict=fuzz/cognito.dict -max_total_time=$(FUZZ_SECONDS) -timeout=10 || exit 1; done
