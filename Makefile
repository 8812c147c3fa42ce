# The jobs, by name. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export CARGO_TERM_COLOR ?= never

.PHONY: help test unit lint sdk-only-in-create

help: ## List the jobs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

test: lint sdk-only-in-create unit ## Every test: formatting, lints, unit and handler tests

lint: ## cargo fmt --check and clippy with warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

unit: ## Unit tests and handler tests over events/
	cargo test --workspace

sdk-only-in-create: ## Only create-auth-challenge may link the AWS SDK
	@for bin in pre-sign-up define-auth-challenge verify-auth-challenge; do \
	  if cargo tree -q -p $$bin -e normal | grep -E 'aws-(sdk|config|smithy)'; then \
	    echo "$$bin links the AWS SDK" >&2; exit 1; fi; done
	@cargo tree -q -p create-auth-challenge -e normal | grep -q aws-sdk-sns
	@echo "AWS SDK: linked by create-auth-challenge only"
