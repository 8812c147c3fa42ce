# The jobs, by name. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export CARGO_TERM_COLOR ?= never

# The demo's stack on the local emulator, and the phone number it signs in.
STACK ?= sms-passwordless-local
DEMO_PHONE ?= +15555550100
# The demo signs the same number in again and again; at the default 5 SMS an hour the sixth run
# would get no code. (make e2e deploys its own stack with the limit at 3 and tests it.)
LOCAL_PARAMS ?= MaxSmsPerNumberPerHour=30 MaxSmsPerNumberPerDay=200

.PHONY: help test lint unit sdk-only-in-create template-lint arm64 build-arm64 e2e smoke tools up down build-local deploy-local demo bench cost fuzz

help: ## List the jobs
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

test: lint sdk-only-in-create unit template-lint arm64 e2e ## Every test: lints, unit and handler tests, template lint and policy scan, the arm64 build under qemu, end-to-end through the local stack

lint: ## cargo fmt --check and clippy with warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

unit: ## Unit tests, the handler tests over events/, property tests, the cost model's tests
	cargo test --workspace
	python3 -m unittest discover -s tools -p 'test_*.py'

sdk-only-in-create: ## Only create and verify may link the AWS SDK (pre-sign-up and define never)
	@for bin in pre-sign-up define-auth-challenge; do \
	  if cargo tree -q -p $$bin -e normal | grep -E 'aws-(sdk|config|smithy)'; then \
	    echo "$$bin links the AWS SDK" >&2; exit 1; fi; done
	@cargo tree -q -p create-auth-challenge -e normal | grep -q aws-sdk-sns
	@cargo tree -q -p verify-auth-challenge -e normal | grep -q aws-sdk-dynamodb
	@echo "AWS SDK: linked by create-auth-challenge (SNS, DynamoDB) and verify-auth-challenge (DynamoDB) only"

template-lint: tools ## sam validate --lint, cfn-lint and the checkov policy scan on template.yaml, no findings
	source tools/env.sh && SAM_CLI_TELEMETRY=0 sam validate --lint && cfn-lint template.yaml
	.venv/checkov/bin/checkov --file template.yaml --framework cloudformation --compact --quiet --skip-download
	@echo "template.yaml: sam validate --lint, cfn-lint and checkov clean (each checkov suppression is justified in the template)"

build-arm64: tools ## sam build for arm64 (the template's default) into .aws-sam/build, as before sam deploy
	tools/arm64.sh build

arm64: build-arm64 ## The arm64 bootstraps under qemu-user: every sample event answered as expected (installs qemu-user)
	tools/arm64.sh run

e2e: tools ## End-to-end tests: deploy onto the local stack, sign in for real, clean up
	tools/e2e.sh

tools: ## Install the pinned tools into .venv/ (idempotent)
	tools/install.sh

up: tools ## Start the local emulator on 127.0.0.1:4566 (idempotent; log in .local/ministack.log)
	tools/local-stack.sh up

down: ## Stop the local emulator
	tools/local-stack.sh down

build-local: tools ## sam build for this machine's architecture, into .aws-sam/build-local
	tools/local-deploy.sh --build-only

deploy-local: tools ## sam build for this machine and sam deploy onto the local emulator
	LOCAL_STACK_NAME=$(STACK) tools/local-deploy.sh $(LOCAL_PARAMS)

# make smoke: the local emulator for the local demo's stack, else the AWS account of your shell.
LOCAL ?= $(if $(filter sms-passwordless-local,$(STACK)),1,)
smoke: ## After a deploy: each function of STACK starts and answers a harmless event (LOCAL=1: the local emulator)
	LOCAL=$(LOCAL) tools/smoke.sh $(STACK)

demo: deploy-local ## The main job: local stack up, template deployed, a phone number signed up and in
	source tools/local-env.sh && cargo run -q -p signin-client --bin signin -- --stack-name $(STACK) demo --phone '$(DEMO_PHONE)'

bench: build-local build-arm64 ## Benchmark the release bootstraps against the budgets and a Python baseline (and arm64 sizes)
	cargo run -q --release -p bench -- $(BENCH_ARGS)

cost: ## Monthly cost of N sign-ins, this project vs Cognito Essentials, and of SMS pumping (COST_ARGS, e.g. --mau 50000)
	@segments=$$(cargo run -q -p sms-otp-core --example sms_segments) && \
	  python3 tools/cost_model.py --sms-segments $$segments $(COST_ARGS)

FUZZ_SECONDS ?= 60
fuzz: ## cargo fuzz, every target for FUZZ_SECONDS each (needs a nightly toolchain; installs cargo-fuzz)
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
	fuzz/seed.sh
	for target in metadata define verify create pre_sign_up; do \
	  cargo +nightly fuzz run $$target -- -dict=fuzz/cognito.dict -max_total_time=$(FUZZ_SECONDS) -timeout=10 || exit 1; done
