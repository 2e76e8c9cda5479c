"""The query protocol of tests/local/botocore_shapes.py (the Elastic Beanstalk emulator's): a form
botocore serialised parses back into the input shape's structure, and the XML answers and errors
written from an output shape are what botocore's own parser reads.
"""

from __future__ import annotations

import sys
from pathlib import Path

from botocore.parsers import create_parser
from botocore.serialize import create_serializer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.local import botocore_shapes  # noqa: E402

SERVICE = "elasticbeanstalk"


def test_a_serialised_form_parses_into_the_input_shape():
    model = botocore_shapes.operation(SERVICE, "UpdateEnvironment")
    params = {
        "EnvironmentName": "abcd",
        "OptionSettings": [{"Namespace": "aws:autoscaling:asg", "OptionName": "MinSize", "Value": "2"}],
        "OptionsToRemove": [{"Namespace": "aws:elasticbeanstalk:application:environment", "OptionName": "X"}],
    }
    body = create_serializer("query").serialize_to_request(params, model)["body"]
    assert body["OptionSettings.member.1.Namespace"] == "aws:autoscaling:asg"
    assert botocore_shapes.parse_query(SERVICE, "UpdateEnvironment", body) == params
    assert botocore_shapes.parse_query(SERVICE, "DescribeEnvironments", {"EnvironmentIds": ""}) == {
        "EnvironmentIds": []
    }


def test_scalars_that_do_not_parse_are_reported_by_the_validator():
    form = {"MaxRecords": "x", "StartTime": "2026-01-02T03:04:05Z"}
    events = botocore_shapes.parse_query(SERVICE, "DescribeEvents", form)
    assert events["StartTime"] == 1767323045.0
    assert botocore_shapes.validate_input(SERVICE, "DescribeEvents", events) == [
        "Value 'x' at 'maxRecords' failed to satisfy constraint: Member must be an integer"
    ]
    environments = botocore_shapes.parse_query(SERVICE, "DescribeEnvironments", {"IncludeDeleted": "yes"})
    assert botocore_shapes.validate_input(SERVICE, "DescribeEnvironments", environments) == [
        "Value 'yes' at 'includeDeleted' failed to satisfy constraint: Member must be a boolean"
    ]


def _parsed(operation: str, body: str, status: int = 200) -> dict:
    model = botocore_shapes.operation(SERVICE, operation)
    response = {"body": body.encode(), "headers": {}, "status_code": status}
    return create_parser("query").parse(response, model.output_shape)


def test_answers_are_what_botocore_reads():
    body = {
        "Environments": [
            {
                "EnvironmentName": "a<b&c",
                "DateCreated": 1767323045.5,
                "AbortableOperationInProgress": False,
                "Tier": {"Name": "WebServer"},
                "EnvironmentLinks": [],
            }
        ],
        "NextToken": "2",
    }
    xml = botocore_shapes.query_response(SERVICE, "DescribeEnvironments", body, "req-1")
    assert xml.startswith(
        '<DescribeEnvironmentsResponse xmlns="http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/">'
    )
    parsed = _parsed("DescribeEnvironments", xml)
    (env,) = parsed["Environments"]
    assert env["EnvironmentName"] == "a<b&c" and env["AbortableOperationInProgress"] is False
    assert env["DateCreated"].timestamp() == 1767323045.5 and env["Tier"] == {"Name": "WebServer"}
    assert parsed["NextToken"] == "2" and parsed["ResponseMetadata"]["RequestId"] == "req-1"
    empty = _parsed("UpdateTagsForResource", botocore_shapes.query_response(SERVICE, "UpdateTagsForResource", {}, "r"))
    assert empty["ResponseMetadata"]["RequestId"] == "r"


def test_errors_are_what_botocore_reads():
    xml = botocore_shapes.query_error(SERVICE, "InvalidParameterValue", "No Application named 'x' found.", "req-2")
    parsed = _parsed("DescribeEnvironments", xml, 400)
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "InvalidParameterValue",
        "Message": "No Application named 'x' found.",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "req-2"
