"""The beanstalk_source_bundle filter: the same files give the same ZIP bytes, so the hash names the bundle."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.mlops.mlflow_aws.plugins.filter.beanstalk_source_bundle import FilterModule

bundle = FilterModule().filters()["beanstalk_source_bundle"]
DOCKERRUN = {
    "AWSEBDockerrunVersion": "1",
    "Image": {"Name": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow:3.17.2-abc", "Update": "false"},
    "Ports": [{"ContainerPort": 8080}],
}
REDIRECT = {"Resources": {"AWSEBV2LoadBalancerListener": {"Type": "AWS::ElasticLoadBalancingV2::Listener"}}}


def unzip(result: dict) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(base64.b64decode(result["content_base64"])))


def test_same_files_same_bytes_whatever_the_order():
    one = bundle({"Dockerrun.aws.json": DOCKERRUN, ".ebextensions/https-redirect.config": REDIRECT})
    two = bundle({".ebextensions/https-redirect.config": dict(REDIRECT), "Dockerrun.aws.json": dict(DOCKERRUN)})
    assert one == two
    assert one["sha256"] == hashlib.sha256(base64.b64decode(one["content_base64"])).hexdigest()
    assert one["files"] == [".ebextensions/https-redirect.config", "Dockerrun.aws.json"]


def test_another_image_is_another_bundle():
    other = dict(DOCKERRUN, Image={"Name": DOCKERRUN["Image"]["Name"][:-3] + "def", "Update": "false"})
    assert bundle({"Dockerrun.aws.json": DOCKERRUN})["sha256"] != bundle({"Dockerrun.aws.json": other})["sha256"]


def test_entries_are_stored_with_a_fixed_date_and_mode_and_read_back():
    archive = unzip(bundle({"Dockerrun.aws.json": DOCKERRUN, "README": "text\n"}))
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.external_attr >> 16 == 0o100644
    assert json.loads(archive.read("Dockerrun.aws.json")) == DOCKERRUN
    assert archive.read("README") == b"text\n"


@pytest.mark.parametrize("files", [{}, {"/etc/passwd": "x"}, {"../up": "x"}, {"a": 1}, "Dockerrun.aws.json"])
def test_refused(files):
    with pytest.raises(AnsibleFilterError):
        bundle(files)
