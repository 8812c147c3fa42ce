# The jobs, by name. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export CARGO_TERM_COLOR ?= never

.PHONY: help test unit lint

help: ## List the jobs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

test: lint unit ## Every test: formatting, lints, unit and handler tests

lint: ## cargo fmt --check and clippy with warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

unit: ## Unit tests and handler tests over events/
	cargo test --workspace
