"""The Elastic Beanstalk part of the local data plane (tests/local/dataplane/beanstalk_plane.py and
beanstalk_infra.py), in this process: the deployment policies as batches, the source bundle as the
platform reads it, and the platform's nginx of each instance, run for real: 1 MB per request
unless the bundle's .platform/nginx/conf.d says otherwise.
"""

from __future__ import annotations

import http.server
import io
import logging
import sys
import threading
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from moto.s3.models import s3_backends  # noqa: E402

from tests.local.dataplane import beanstalk_infra as infra  # noqa: E402
from tests.local.dataplane.beanstalk_plane import BeanstalkPlane  # noqa: E402
from tests.local.dataplane.nginx import Nginx  # noqa: E402

ACCOUNT = "123456789012"
# Loopback addresses of no other local service (tasks 127.0.2.x, load balancers 127.0.3.x, ...).
INSTANCE, UPSTREAM_PORT = "127.0.9.1", 18080


def _settings(policy: str, count: int, batch: int, update: str = "Immutable") -> dict:
    return {
        "aws:autoscaling:asg": {"MinSize": str(count)},
        "aws:elasticbeanstalk:command": {"DeploymentPolicy": policy, "BatchSizeType": "Fixed", "BatchSize": str(batch)},
        "aws:autoscaling:updatepolicy:rollingupdate": {"RollingUpdateEnabled": "true", "RollingUpdateType": update},
    }


@pytest.mark.parametrize(
    ("policy", "count", "batch", "expected"),
    [
        ("RollingWithAdditionalBatch", 1, 1, (100, 200)),  # one more first: never below one in service
        ("RollingWithAdditionalBatch", 2, 1, (100, 150)),
        ("Rolling", 2, 1, (50, 100)),  # a batch out of service at a time
        ("Immutable", 2, 1, (100, 200)),
        ("AllAtOnce", 2, 1, (0, 100)),
    ],
)
def test_a_new_version_deploys_in_the_policy_s_batches(policy, count, batch, expected):
    config = infra.deployment_configuration(_settings(policy, count, batch), new_version=True)
    assert (config["minimumHealthyPercent"], config["maximumPercent"]) == expected
    assert config["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_a_configuration_change_follows_the_rolling_update_type():
    config = infra.deployment_configuration(_settings("AllAtOnce", 2, 1, update="Immutable"), new_version=False)
    assert (config["minimumHealthyPercent"], config["maximumPercent"]) == (100, 200)


def _bundle(files: dict[str, str]) -> dict[str, str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    backend = s3_backends[ACCOUNT]["global"]
    if "bundles" not in backend.buckets:
        backend.create_bucket("bundles", "us-east-1")
    backend.put_object("bundles", "b.zip", buffer.getvalue())
    return {"S3Bucket": "bundles", "S3Key": "b.zip"}


DOCKERRUN = '{"AWSEBDockerrunVersion": "1", "Image": {"Name": "repo/mlflow:1"}, "Ports": [{"ContainerPort": "8080"}]}'
REDIRECT = """Resources:
  AWSEBV2LoadBalancerListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      Port: 80
      DefaultActions:
        - Type: redirect
          RedirectConfig: {Protocol: HTTPS, Port: "443", StatusCode: HTTP_301}
"""


def test_the_bundle_is_read_as_the_docker_platform_reads_it():
    bundle = infra.read_bundle(
        ACCOUNT,
        "us-east-1",
        _bundle(
            {
                "Dockerrun.aws.json": DOCKERRUN,
                ".platform/nginx/conf.d/mlflow.conf": "client_max_body_size 0;\n",
                ".ebextensions/https-redirect.config": REDIRECT,
            }
        ),
    )
    assert (bundle.image, bundle.container_port) == ("repo/mlflow:1", 8080)
    assert bundle.nginx_conf == {"mlflow.conf": "client_max_body_size 0;\n"}
    assert bundle.http_actions == [
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    ]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"app.py": "print(1)"}, "no readable Dockerrun.aws.json"),
        ({"Dockerrun.aws.json": '{"AWSEBDockerrunVersion": "3"}'}, "only Dockerrun.aws.json version 1"),
        ({"Dockerrun.aws.json": '{"AWSEBDockerrunVersion": "1", "Image": {"Name": "x"}}'}, "Ports[0].ContainerPort"),
    ],
)
def test_a_bundle_the_platform_cannot_run_fails_the_deployment(files, message):
    with pytest.raises(infra.BundleError, match=message.replace("[", r"\[").replace(".", r"\.")):
        infra.read_bundle(ACCOUNT, "us-east-1", _bundle(files))


class _Sink(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        length = int(self.headers.get("Content-Length", 0))
        received = len(self.rfile.read(length))
        body = str(received).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    server = http.server.ThreadingHTTPServer((INSTANCE, UPSTREAM_PORT), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield
    server.shutdown()
    server.server_close()


def _put(size: int) -> int:
    request = urllib.request.Request(f"http://{INSTANCE}/upload", data=b"x" * size, method="PUT")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize(("conf", "status"), [({}, 413), ({"mlflow.conf": "client_max_body_size 0;\n"}, 200)])
def test_the_platform_s_nginx_takes_1_mb_unless_the_bundle_lifts_it(tmp_path, upstream, conf, status):
    plane = BeanstalkPlane(tmp_path, ecs=None, addresses={})
    bundle = infra.Bundle(image="repo/mlflow:1", container_port=UPSTREAM_PORT, nginx_conf=conf)
    text = plane._render("e-test", bundle, [INSTANCE])
    nginx = Nginx(tmp_path / "beanstalk" / "e-test", "test nginx", logging.getLogger("test"))
    assert nginx.apply(text), nginx.refused
    try:
        assert nginx.wait_started(), nginx.output()
        assert _put(512 * 1024) == 200
        assert _put(2 * 1024 * 1024) == status
    finally:
        nginx.stop()


@pytest.mark.parametrize(("days", "accepted"), [("400", True), ("3653", True), ("45", False), ("1096", False)])
def test_log_retention_takes_the_values_elastic_beanstalk_offers(days, accepted):
    from tests.local.dataplane import beanstalk_options as options  # noqa: PLC0415

    item = {"Namespace": "aws:elasticbeanstalk:cloudwatch:logs", "OptionName": "RetentionInDays", "Value": days}
    assert (options.problems(options.from_request([item])) == []) is accepted
