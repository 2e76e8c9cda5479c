"""playbooks/beanstalk.yml end to end on local AWS: an Elastic Beanstalk environment whose instances
run as containers behind its load balancer (the local data plane), used with the real mlflow client
through the environment's CNAME over HTTPS.

One deployment (module-scoped) serves every check, in file order: the client logs a run with a
50 MiB artifact and reads it back, a second run changes nothing, what AWS holds keeps secrets out of
the plain environment properties, a new image rolls out as a new version with no failed client
request, a broken one leaves the environment on the version before it, and the teardown keeps the
data.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from aws_state import client
from conftest import changed, playbook, run
from e2e import (
    CA,
    WHEELHOUSE,
    Clients,
    first_run,
    http,
    image_context,
    local_env,
    record,
    second_run,
    wait_for,
    web_login,
)

REGION = "eu-central-1"
NAME = "eb-e2e"
E2E = {
    "mlflow_stack_name": NAME,
    "mlflow_stack_region": REGION,
    "mlflow_stack_web_password": 'P@ss, "w:rd" \\ $HOME 100%',
    "s3_artifacts_bucket": "mlflow-eb-e2e-artifacts",
    "ecr_image_wheelhouse": WHEELHOUSE,
}


@pytest.fixture(scope="module")
def eb_env(aws_env):
    return local_env(aws_env, REGION)


@pytest.fixture(scope="module")
def deployed(eb_env, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("beanstalk")
    return {"env": eb_env, "tmp": tmp, "first": first_run("beanstalk.yml", E2E, eb_env, tmp)}


def environment(env) -> dict:
    eb = client("elasticbeanstalk", env)
    return eb.describe_environments(ApplicationName=NAME, EnvironmentNames=[NAME])["Environments"][0]


def url(env) -> str:
    return "https://" + environment(env)["CNAME"]


def login(env) -> dict[str, str]:
    return web_login(env, NAME)


def images(env) -> set[str]:
    """The images the environment's instances run (each instance is a container of the data plane)."""
    prefix = f"ecs-awseb-{environment(env)['EnvironmentId']}-"
    listed = subprocess.run(
        ["docker", "ps", "--filter", f"name={prefix}", "--format", "{{.Image}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(listed.stdout.split())


def settings(env) -> dict[str, dict[str, str]]:
    eb = client("elasticbeanstalk", env)
    found = eb.describe_configuration_settings(ApplicationName=NAME, EnvironmentName=NAME)["ConfigurationSettings"]
    out: dict[str, dict[str, str]] = {}
    for option in found[0]["OptionSettings"]:
        out.setdefault(option["Namespace"], {})[option["OptionName"]] = option.get("Value", "")
    return out


def test_mlflow_answers_through_the_environment_url(deployed):
    env, first = deployed["env"], deployed["first"]
    described = environment(env)
    assert (described["Status"], described["Health"]) == ("Ready", "Green"), described
    address = url(env)
    assert address == f"https://{NAME}.{REGION}.elasticbeanstalk.com"
    assert f"URL: {address}/" in first.stdout
    assert "MLFLOW_TRACKING_URI=" + address in first.stdout
    assert http(address + "/health") == 200
    assert http(address + "/api/2.0/mlflow/experiments/search?max_results=1") == 401
    assert http(address.replace("https:", "http:") + "/health", follow=False) == 301
    args = ["--target", "beanstalk", "--service", NAME, "--ca", str(CA), "--artifact-mb", "50", "--register-model"]
    check = run(["python", "tests/local/client_check.py", *args], env)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert "50 MiB artifact, model beanstalk-demo-model version" in check.stdout
    figures = json.loads(check.stdout.strip().splitlines()[-1])
    record(
        f"beanstalk 50 MiB artifact through the platform's nginx: up {figures['up']:.1f}s down {figures['down']:.1f}s"
    )


def test_second_run_changes_nothing(deployed):
    second, made, took = second_run("beanstalk.yml", E2E, deployed["env"], deployed["tmp"])
    eb = {k: v for k, v in made.items() if k.startswith("elasticbeanstalk:")}
    record(f"beanstalk.yml second run {took:.0f}s, changed={changed(second.stdout)}, Elastic Beanstalk calls {eb}")
    assert eb, "the re-run read nothing from Elastic Beanstalk: the call counts are not being kept"


def test_secrets_stay_out_of_the_plain_environment_properties(deployed):
    env = deployed["env"]
    options = settings(env)
    plain = options["aws:elasticbeanstalk:application:environment"]
    password = login(env)["password"]
    assert password not in json.dumps(plain) and "local-pg-Passw0rd" not in json.dumps(plain)
    assert not [k for k in plain if "PASSWORD" in k or "SECRET" in k or k == "MLFLOW_BACKEND_URI"], plain
    secrets = options["aws:elasticbeanstalk:application:environmentsecrets"]
    assert set(secrets) == {"MLFLOW_TRACKING_AUTH_JSON", "MLFLOW_BACKEND_URI"}, secrets
    assert all(v.startswith(f"arn:aws:secretsmanager:{REGION}:") for v in secrets.values()), secrets
    # The instance profile reads exactly those secrets; nothing is FullAccess.
    iam = client("iam", env)
    role = f"{NAME}-beanstalk-instance"
    attached = [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]
    assert not [p for p in attached if "FullAccess" in p or p == "AWSElasticBeanstalkWebTier"], attached
    readable = set()
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        for statement in iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "secretsmanager:GetSecretValue" in actions:
                resources = statement["Resource"]
                readable |= set(resources if isinstance(resources, list) else [resources])
    assert readable == {":".join(v.split(":")[:7]) for v in secrets.values()}, readable
    # HTTPS with the certificate, port 80 redirecting, health on /health, instances in private subnets.
    assert options["aws:elbv2:listener:443"]["Protocol"] == "HTTPS"
    assert options["aws:elasticbeanstalk:environment:process:default"]["HealthCheckPath"] == "/health"
    assert options["aws:ec2:vpc"]["AssociatePublicIpAddress"] == "false"
    events = client("elasticbeanstalk", env).describe_events(EnvironmentName=NAME)["Events"]
    assert any(e["Message"] == f"Successfully launched environment: {NAME}" for e in events)


def test_a_new_version_rolls_out_and_a_broken_one_leaves_the_old(deployed):
    env, tmp = deployed["env"], deployed["tmp"]
    old, old_images = environment(env)["VersionLabel"], images(env)
    assert len(old_images) == 1, old_images
    with Clients(url(env), login(env)) as users:
        started = time.monotonic()
        rolled = playbook(
            "beanstalk.yml",
            {**E2E, "ecr_image_context": str(image_context(tmp, "v2"))},
            env,
            tmp,
            inventory="inventories/local",
        )
        took = time.monotonic() - started
    assert rolled.returncode == 0, rolled.stdout[-4000:]
    new = environment(env)["VersionLabel"]
    assert new != old and new.startswith("sha256-")
    # Ready means the new version serves: its instance runs, and the old one only drains.
    serving = images(env) - old_images
    assert len(serving) == 1, (serving, old_images)
    wait_for(lambda: images(env) == serving, 90, "the old instance to drain and stop")
    record(
        f"beanstalk rollout of a new version: {took:.0f}s, changed={changed(rolled.stdout)};"
        f" mlflow client errors {len(users.mlflow_errors)}; {users.gap()}"
    )
    assert users.mlflow_errors == [], users.mlflow_errors[:3]

    with Clients(url(env), login(env)) as users:
        broken = playbook(
            "beanstalk.yml",
            {**E2E, "ecr_image_context": str(image_context(tmp, "broken", broken=True))},
            env,
            tmp,
            inventory="inventories/local",
        )
        wait_for(lambda: environment(env)["Health"] == "Green", 120, "the environment to be Green again")
    output = broken.stdout + broken.stderr
    assert broken.returncode != 0, output[-3000:]
    assert "exited (exit code 3)" in output, output[-4000:]
    assert "Failed to deploy application." in output, output[-4000:]
    described = environment(env)
    assert described["VersionLabel"] == new and described["Status"] == "Ready", described
    wait_for(lambda: images(env) == serving, 90, "only the previous version's instances")
    assert http(url(env) + "/health") == 200
    record(f"beanstalk broken version: stayed on {new[:19]}; mlflow client errors {len(users.mlflow_errors)}")
    assert users.mlflow_errors == [], users.mlflow_errors[:3]


def test_teardown_keeps_the_data(deployed):
    env, tmp = deployed["env"], deployed["tmp"]
    env_id = environment(env)["EnvironmentId"]
    teardown = playbook(
        "beanstalk_teardown.yml",
        {**E2E, "mlflow_stack_teardown_confirm": NAME},
        env,
        tmp,
        inventory="inventories/local",
    )
    assert teardown.returncode == 0, teardown.stdout[-3000:]
    eb = client("elasticbeanstalk", env)
    left = eb.describe_environments(EnvironmentIds=[env_id])["Environments"]
    assert [e["Status"] for e in left] in ([], ["Terminated"]), left
    assert eb.describe_applications(ApplicationNames=[NAME])["Applications"] == []

    def instances() -> str:
        listed = ["docker", "ps", "-q", "--filter", f"name=ecs-awseb-{env_id}-"]
        return subprocess.run(listed, capture_output=True, text=True, check=True).stdout.strip()

    wait_for(lambda: not instances(), 90, "the instances' containers to go")
    assert f"{NAME}.{REGION}.elasticbeanstalk.com" not in Path("/etc/hosts").read_text()
    keys = [o["Key"] for o in client("s3", env).list_objects_v2(Bucket=E2E["s3_artifacts_bucket"])["Contents"]]
    assert any(k.startswith("beanstalk/") for k in keys) and any(k.startswith("mlflow/") for k in keys), keys
    assert login(env)["username"]  # the web login is kept
