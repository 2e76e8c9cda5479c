# Development harness for mlops.mlflow_aws. Every target is idempotent.
#   make setup        virtualenv with the pinned tools + system packages the tests need
#   make lint         yamllint, ansible-lint (production profile), ruff, ansible-test sanity
#   make unit         pytest tests/unit
#   make molecule     every molecule scenario (Docker systemd containers, host network)
#   make integration  pytest tests/integration (local AWS on moto, playbooks from the checkout; two lanes)
#   make test         all of the above (molecule beside the integration lanes): the one command CI runs
#   make infra / infra-stop   start / stop the Docker engine, moto server and PostgreSQL the tests use
#   make wheelhouse   download the wheels test hosts install MLflow from (air-gapped path)
#   make demo         the main job on local AWS: apprunner.yml (or TARGET=ecs_public, ecs_private, ecs_express, beanstalk), then a real mlflow client through its URL

SHELL := /bin/bash
comma := ,
space := $(subst ,, )
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PY_COLORS := 0
export ANSIBLE_FORCE_COLOR := 0

# Packages the harness itself needs on a Debian controller.
SYSTEM_PACKAGES ?= docker.io debootstrap shellcheck curl postgresql haproxy nginx-light libnginx-mod-http-lua

.PHONY: help setup venv system-packages lint yamllint ansible-lint ruff sanity unit molecule \
	integration integration-molecule test infra infra-stop images wheelhouse clean demo

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

system-packages:
	tests/local/system-packages.sh $(SYSTEM_PACKAGES)

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

setup: system-packages venv
	tests/local/ansible-test-bootstrap.sh

lint: yamllint ansible-lint ruff sanity

yamllint: setup
	yamllint --strict .

ansible-lint: setup
	ansible-lint --profile production --strict

ruff: setup
	ruff check .
	ruff format --check .

sanity: setup
	tests/local/sanity.sh

unit: setup
	pytest tests/unit

images: setup
	tests/local/docker-engine.sh start
	tests/local/base-images.sh build

infra: images
	tests/local/moto.sh start
	tests/local/postgresql.sh start
	tests/local/apprunner.sh start

wheelhouse: setup
	tests/local/wheelhouse.sh build

# Scenarios in parallel lanes, each on its own loopback addresses (tests/local/molecule.sh says how;
# MOLECULE_LANES overrides its lanes).
molecule: infra wheelhouse
	tests/local/molecule.sh

# Two lanes at once: the end-to-end tests, and beside them the preflight-marked ones on a moto
# server of their own (tests/local/integration.sh says how).
integration: infra wheelhouse
	tests/local/integration.sh

# make test's last phase: the integration lanes and, in the second lane after its tests, every
# molecule scenario (on that lane's own moto and PostgreSQL), so that they overlap the end-to-end lane.
integration-molecule: infra wheelhouse
	INTEGRATION_MOLECULE=1 tests/local/integration.sh

LOCAL_ENV = set -a; source tests/output/local/aws.env; source tests/output/local/postgresql.env; \
	source tests/output/local/apprunner.env; set +a

# Fresh machine to a running MLflow on local AWS, a run logged through it, in one command.
# TARGET=apprunner (default: the App Runner emulator), TARGET=ecs_public (ECS tasks behind the
# local load balancer, HTTPS with the local CA's certificate), TARGET=ecs_private (ECS tasks behind
# an internal load balancer and the local API Gateway; a 1 GiB artifact, DEMO_ARTIFACT_MB, in parts)
# TARGET=ecs_express (an ECS Express service: the local emulator, its load balancer and endpoint) or
# TARGET=beanstalk (an Elastic Beanstalk environment: instances as containers behind its load balancer).
TARGET ?= apprunner
DEMO_apprunner = ansible-playbook -i inventories/local playbooks/apprunner.yml && \
	python tests/local/client_check.py --target apprunner --service mlflow-demo --scheme http
DEMO_ecs_public = export LOCAL_ALB_CERTIFICATE_ARN="$$(python tests/local/acm_cert.py --region us-east-1)" && \
	ansible-playbook -i inventories/local playbooks/ecs.yml && \
	python tests/local/client_check.py --target ecs_public --service mlflow-demo --ca tests/output/local/ca.pem
DEMO_ecs_private = export LOCAL_ALB_CERTIFICATE_ARN="$$(python tests/local/acm_cert.py --region us-east-1)" && \
	ansible-playbook -i inventories/local playbooks/ecs_private.yml && \
	python tests/local/client_check.py --target ecs_private --service mlflow-demo --ca tests/output/local/ca.pem \
	  --artifact-mb $(DEMO_ARTIFACT_MB)
DEMO_ecs_express = ansible-playbook -i inventories/local playbooks/ecs_express.yml && \
	python tests/local/client_check.py --target ecs_express --service mlflow-demo --ca tests/output/local/ca.pem
DEMO_beanstalk = export LOCAL_ALB_CERTIFICATE_ARN="$$(python tests/local/acm_cert.py --region us-east-1)" && \
	ansible-playbook -i inventories/local playbooks/beanstalk.yml && \
	python tests/local/client_check.py --target beanstalk --service mlflow-demo --ca tests/output/local/ca.pem
DEMO_ARTIFACT_MB ?= 1024
demo: infra wheelhouse
	@[ -n "$(DEMO_$(TARGET))" ] || { echo "make demo: TARGET must be apprunner, ecs_public, ecs_private, ecs_express or beanstalk, got $(TARGET)"; exit 1; }
	$(LOCAL_ENV); start=$$(date +%s); \
	$(DEMO_$(TARGET)) || exit 1; \
	echo "demo ($(TARGET)): playbook + client check in $$(( $$(date +%s) - start ))s. Look at: the URL above (log in with the"; \
	echo "  login in Secrets Manager), tests/output/local/ (App Runner log, the data plane's dataplane.json and HAProxy"; \
	echo "  configuration), 'docker ps' (the service's containers), and the bucket:"; \
	echo "  aws --endpoint-url \$$AWS_ENDPOINT_URL s3 ls s3://mlflow-demo-artifacts --recursive"

# Each phase's wall time is printed as it ends and again at the end (tests/output/phase-times.txt).
TEST_PHASES ?= setup lint unit infra wheelhouse integration-molecule
test:
	@mkdir -p tests/output; : > tests/output/phase-times.txt; start=$$(date +%s); \
	report() { echo "== make test: phase wall times"; cat tests/output/phase-times.txt; \
	  echo "total: $$(( $$(date +%s) - start ))s ($$(( ($$(date +%s) - start) / 60 )) min)"; }; \
	for phase in $(TEST_PHASES); do \
	  t=$$(date +%s); \
	  if ! $(MAKE) --no-print-directory $$phase; then \
	    echo "$$phase: $$(( $$(date +%s) - t ))s (FAILED)" >> tests/output/phase-times.txt; report; exit 1; fi; \
	  echo "$$phase: $$(( $$(date +%s) - t ))s" | tee -a tests/output/phase-times.txt; \
	done; report

infra-stop:
	tests/local/apprunner.sh stop
	tests/local/postgresql.sh stop
	tests/local/moto.sh stop
	tests/local/docker-engine.sh stop

clean: infra-stop
	rm -rf tests/output $(VENV) .pytest_cache .ruff_cache
