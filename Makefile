# Development harness for mlops.mlflow_aws. Every target is idempotent.
#   make setup        virtualenv with the pinned tools + system packages the tests need
#   make lint         yamllint, ansible-lint (production profile), ruff, ansible-test sanity
#   make unit         pytest tests/unit
#   make molecule     every molecule scenario (Docker systemd containers, host network)
#   make integration  pytest tests/integration (local AWS on moto, playbooks from the checkout; two lanes)
#   make test         all of the above: the one command CI runs
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
SYSTEM_PACKAGES ?= docker.io debootstrap shellcheck curl postgresql wrk haproxy nginx-light libnginx-mod-http-lua
MOLECULE_SCENARIOS ?= $(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))

.PHONY: help setup venv system-packages lint yamllint ansible-lint ruff sanity unit molecule \
	integration test infra infra-stop images wheelhouse clean demo

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

# Scenarios reach the local AWS (moto) through the variables in its env file. They run in
# parallel lanes (scenarios in a lane one after another): each binds its own loopback addresses
# and container names. Every scenario must be in a lane; each writes tests/output/molecule/<name>.log,
# whose end is printed when it fails. Balanced on times measured two at a time on 2 cores:
# ec2_playbook 441 s, mlflow_host_postgresql 384, mlflow_host_auth 280, mlflow_host_mariadb 233,
# nginx_basic_auth 85, nginx_basic_auth_tls 84.
MOLECULE_LANES ?= ec2_playbook,mlflow_host_mariadb,nginx_basic_auth mlflow_host_postgresql,mlflow_host_auth,nginx_basic_auth_tls
molecule: infra wheelhouse
	@missing=$$(for s in $(MOLECULE_SCENARIOS); do [[ ",$(subst $(space),$(comma),$(MOLECULE_LANES))," == *",$$s,"* ]] || echo $$s; done); \
	if [ -n "$$missing" ]; then echo "molecule: scenarios in no lane of MOLECULE_LANES: $$missing"; exit 1; fi
	@set -a; source tests/output/local/aws.env; source tests/output/local/postgresql.env; set +a; \
	mkdir -p tests/output/molecule; pids=""; \
	for lane in $(MOLECULE_LANES); do \
	  ( for s in $${lane//,/ }; do t=$$(date +%s); \
	      if molecule test --scenario-name "$$s" > "tests/output/molecule/$$s.log" 2>&1; then \
	        echo "molecule $$s: passed in $$(( $$(date +%s) - t ))s"; \
	      else echo "molecule $$s: FAILED after $$(( $$(date +%s) - t ))s; the end of its log:"; \
	        tail -n 150 "tests/output/molecule/$$s.log"; exit 1; fi; \
	    done ) & pids="$$pids $$!"; \
	done; rc=0; for p in $$pids; do wait "$$p" || rc=1; done; exit $$rc

# Two lanes at once: the end-to-end tests, and beside them the preflight-marked ones on a moto
# server of their own (tests/local/integration.sh says how).
integration: infra wheelhouse
	tests/local/integration.sh

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
TEST_PHASES ?= setup lint unit infra wheelhouse molecule integration
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
