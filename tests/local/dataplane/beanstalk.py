"""Elastic Beanstalk inside the project's moto server (moto 5.2.5 has little of it).

Every operation the collection uses becomes a method of moto's EBResponse, answered from the
emulator's own state (beanstalk_state.py) instead of moto's backend. Requests are parsed from the
query protocol's form into botocore's ``elasticbeanstalk`` input shapes and validated
(tests/local/botocore_shapes.py); responses are checked against the output shapes (a mismatch
is recorded in ``OUTPUT_ERRORS`` and answered HTTP 500) and written as the protocol's XML
(``<XResponse><XResult>…</XResult><ResponseMetadata>``); errors are ``<ErrorResponse>`` with
AWS's codes and messages. Applications, application versions and tags are here; environments in
beanstalk_environments.py, their configuration, events, health and resources in
beanstalk_reports.py. Test hooks (moto_patches.HOOKS): ``POST /_mlops/beanstalk/faults`` and
``GET /_mlops/beanstalk``. The data plane's hook is in
beanstalk_state.py (``environments()``, ``set_deployment_result()``, ``set_health()``).
"""

from __future__ import annotations

import io
import logging
import time
import uuid
import zipfile
from typing import Any

from moto.core.responses import BaseResponse
from moto.core.utils import camelcase_to_underscores
from moto.elasticbeanstalk.responses import EBResponse
from moto.s3.models import s3_backends

from tests.local import botocore_shapes

from . import beanstalk_environments as environments
from . import beanstalk_options as options
from . import beanstalk_reports as reports
from . import beanstalk_state as state
from . import moto_patches
from .beanstalk_state import FAULTS, Application, BeanstalkError, Call, Version, invalid
from .moto_patches import LOCK

LOG = logging.getLogger("dataplane.beanstalk")
SERVICE = "elasticbeanstalk"
OUTPUT_ERRORS: list[str] = []
XML_HEADERS = {"Content-Type": "text/xml"}
# Members whose model contradicts what AWS answers: DescribeEnvironmentHealth's Status is the
# environment's status (Ready, Updating ...), as AWS documents, while the model's enum is the colour.
UNCHECKED = {("DescribeEnvironmentHealth", "Status")}


# ------------------------------------------------------------------ applications
def _application(call: Call, name: str) -> Application:
    app = call.place.applications.get(name)
    if app is None:
        raise invalid(f"No Application named '{name}' found.")
    return app


def _app_description(app: Application) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ApplicationArn": app.arn,
        "ApplicationName": app.name,
        "DateCreated": app.created,
        "DateUpdated": app.updated,
        "Versions": [v.label for v in sorted(app.versions.values(), key=lambda v: -v.created)],
        "ConfigurationTemplates": [],
    }
    if app.description:
        body["Description"] = app.description
    if app.lifecycle:
        body["ResourceLifecycleConfig"] = app.lifecycle
    return body


def _tag(call: Call, arn: str, tags: list[dict[str, str]] | None) -> None:
    if tags:
        call.place.tags.setdefault(arn, {}).update({t["Key"]: t.get("Value", "") for t in tags})


def _new_application(call: Call, name: str, description: str | None = None) -> Application:
    now = time.time()
    app = Application(name, call.arn("application", name), description, now, now)
    call.place.applications[name] = app
    return app


def create_application(call: Call) -> dict[str, Any]:
    name = call.params["ApplicationName"]
    if name in call.place.applications:
        raise invalid(f"Application {name} already exists.")
    app = _new_application(call, name, call.params.get("Description"))
    app.lifecycle = call.params.get("ResourceLifecycleConfig")
    _tag(call, app.arn, call.params.get("Tags"))
    return {"Application": _app_description(app)}


def update_application(call: Call) -> dict[str, Any]:
    app = _application(call, call.params["ApplicationName"])
    if call.params.get("Description") is not None:
        app.description, app.updated = call.params["Description"], time.time()
    return {"Application": _app_description(app)}


def describe_applications(call: Call) -> dict[str, Any]:
    names = call.params.get("ApplicationNames")
    apps = [a for a in call.place.applications.values() if not names or a.name in names]
    return {"Applications": [_app_description(a) for a in apps]}


def delete_application(call: Call) -> dict[str, Any]:
    app = _application(call, call.params["ApplicationName"])
    running = [e for e in call.place.environments if e.application == app.name and e.status != "Terminated"]
    if running and not call.params.get("TerminateEnvByForce"):
        names = ", ".join(e.name for e in running)
        raise invalid(f"Unable to delete application {app.name} because it has running environments: {names}.")
    for env in running:
        if env.status != "Terminating":
            environments.terminate(call, env)
    call.place.environments[:] = [e for e in call.place.environments if e.application != app.name or e in running]
    for arn in [app.arn, *(v.arn for v in app.versions.values())]:
        call.place.tags.pop(arn, None)
    del call.place.applications[app.name]
    return {}


# ------------------------------------------------------------------ application versions
def _version_description(version: Version) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ApplicationVersionArn": version.arn,
        "ApplicationName": version.application,
        "VersionLabel": version.label,
        "DateCreated": version.created,
        "DateUpdated": version.updated,
        "Status": version.status,
    }
    if version.description:
        body["Description"] = version.description
    if version.source_bundle:
        body["SourceBundle"] = dict(version.source_bundle)
    return body


def bundle_bytes(account: str, region: str, bundle: dict[str, str]) -> bytes:
    """The source bundle's object in the local S3, or AWS's error when it cannot be read (also what
    the data plane deploys)."""
    bucket_name, key_name = bundle.get("S3Bucket"), bundle.get("S3Key")
    if not bucket_name or not key_name:
        raise BeanstalkError("InvalidParameterCombination", "Both S3Bucket and S3Key must be specified.")
    where = f"(Bucket: {bucket_name}  Key: {key_name})"
    s3 = s3_backends[account]["aws"]
    bucket = s3.buckets.get(bucket_name)
    key = s3.get_object(bucket_name, key_name) if bucket is not None else None
    if key is None:
        raise BeanstalkError(
            "InvalidParameterCombination", f"Unable to download from S3 location {where}. Reason: Not Found"
        )
    if bucket.region_name != region:
        reason = f"The bucket is in this region: {bucket.region_name}. Please use this region to retry the request"
        raise BeanstalkError(
            "InvalidParameterCombination", f"Unable to download from S3 location {where}. Reason: {reason}"
        )
    return key.value


def create_application_version(call: Call) -> dict[str, Any]:
    params = call.params
    for member in ("SourceBuildInformation", "BuildConfiguration", "ImageConfiguration"):
        if params.get(member):
            raise invalid(f"{member} is not emulated locally: use a SourceBundle in S3.")
    name, label = params["ApplicationName"], params["VersionLabel"]
    app = call.place.applications.get(name)
    if app is None and not params.get("AutoCreateApplication"):
        raise invalid(f"No Application named '{name}' found.")
    if app is not None and label in app.versions:
        raise invalid(f"Application Version {label} already exists.")
    bundle = params.get("SourceBundle")
    data = bundle_bytes(call.account, call.region, bundle) if bundle else b""
    app = app or _new_application(call, name)
    now, process = time.time(), bool(params.get("Process"))
    version = Version(
        application=name,
        label=label,
        arn=call.arn("applicationversion", f"{name}/{label}"),
        description=params.get("Description"),
        source_bundle=dict(bundle) if bundle else None,
        process=process,
        status="Processing" if process else "Unprocessed",
        created=now,
        updated=now,
    )
    app.versions[label] = version
    app.updated = now
    _tag(call, version.arn, params.get("Tags"))
    if process:  # processing reads the bundle: a .zip must be an archive
        readable = not (bundle or {}).get("S3Key", "").endswith(".zip") or zipfile.is_zipfile(io.BytesIO(data))
        state.process_version(version, readable)
    return {"ApplicationVersion": _version_description(version)}


def update_application_version(call: Call) -> dict[str, Any]:
    app = _application(call, call.params["ApplicationName"])
    version = app.versions.get(call.params["VersionLabel"])
    if version is None:
        raise invalid(f"No Application Version named '{call.params['VersionLabel']}' found.")
    if call.params.get("Description") is not None:
        version.description, version.updated = call.params["Description"], time.time()
    return {"ApplicationVersion": _version_description(version)}


def describe_application_versions(call: Call) -> dict[str, Any]:
    name, labels = call.params.get("ApplicationName"), call.params.get("VersionLabels")
    versions = [
        v
        for app in call.place.applications.values()
        if not name or app.name == name
        for v in app.versions.values()
        if not labels or v.label in labels
    ]
    versions.sort(key=lambda v: -v.created)
    page, extra = state.page(versions, call.params)
    return {"ApplicationVersions": [_version_description(v) for v in page], **extra}


def delete_application_version(call: Call) -> dict[str, Any]:
    app = _application(call, call.params["ApplicationName"])
    label = call.params["VersionLabel"]
    version = app.versions.get(label)
    if version is None:
        raise invalid(f"No Application Version named '{label}' found.")
    users = [
        e.name
        for e in call.place.environments
        if e.application == app.name and e.status != "Terminated" and e.version_label == label
    ]
    if users:
        used = ", ".join(users)
        raise invalid(
            f"Unable to delete application version {label} because it is being used by environment(s): {used}."
        )
    if call.params.get("DeleteSourceBundle") and version.source_bundle:
        bundle = version.source_bundle
        s3_backends[call.account]["aws"].delete_object(bundle["S3Bucket"], bundle["S3Key"])
    call.place.tags.pop(version.arn, None)
    del app.versions[label]
    return {}


# ------------------------------------------------------------------ tags, solution stacks, DNS
def _tagged(call: Call, arn: str) -> dict[str, str]:
    place = call.place
    known = {a.arn for a in place.applications.values()}
    known |= {v.arn for a in place.applications.values() for v in a.versions.values()}
    known |= {e.arn for e in place.environments if e.status != "Terminated"}
    if arn not in known:
        raise BeanstalkError("ResourceNotFoundException", f"Resource not found for ARN '{arn}'.")
    return place.tags.setdefault(arn, {})


def list_tags_for_resource(call: Call) -> dict[str, Any]:
    arn = call.params["ResourceArn"]
    tags = _tagged(call, arn)
    return {"ResourceArn": arn, "ResourceTags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}


def update_tags_for_resource(call: Call) -> dict[str, Any]:
    tags = _tagged(call, call.params["ResourceArn"])
    for key in call.params.get("TagsToRemove") or []:
        tags.pop(key, None)
    tags.update({t["Key"]: t.get("Value", "") for t in call.params.get("TagsToAdd") or []})
    return {}


def list_available_solution_stacks(_call: Call) -> dict[str, Any]:
    return {
        "SolutionStacks": list(options.SOLUTION_STACKS),
        "SolutionStackDetails": [
            {"SolutionStackName": s, "PermittedFileTypes": ["zip"]} for s in options.SOLUTION_STACKS
        ],
    }


def check_dns_availability(call: Call) -> dict[str, Any]:
    cname = environments.cname_of(call, call.params["CNAMEPrefix"])
    return {"Available": not environments.cname_taken(call, cname), "FullyQualifiedCNAME": cname}


HANDLERS = {
    "CreateApplication": create_application,
    "DescribeApplications": describe_applications,
    "UpdateApplication": update_application,
    "DeleteApplication": delete_application,
    "CreateApplicationVersion": create_application_version,
    "DescribeApplicationVersions": describe_application_versions,
    "UpdateApplicationVersion": update_application_version,
    "DeleteApplicationVersion": delete_application_version,
    "ListTagsForResource": list_tags_for_resource,
    "UpdateTagsForResource": update_tags_for_resource,
    "ListAvailableSolutionStacks": list_available_solution_stacks,
    "CheckDNSAvailability": check_dns_availability,
    **environments.HANDLERS,
    **reports.HANDLERS,
}


# ------------------------------------------------------------------ the protocol
def _headers(request_id: str, status: int) -> dict[str, Any]:
    return {**XML_HEADERS, "x-amzn-requestid": request_id, "status": status}


def _answer(operation: str, body: dict[str, Any], request_id: str) -> tuple[str, dict[str, Any]]:
    checked = {k: v for k, v in body.items() if (operation, k) not in UNCHECKED}
    problems = botocore_shapes.validate_output(SERVICE, operation, checked)
    if problems:
        LOG.error("%s response does not match botocore's model: %s", operation, problems)
        OUTPUT_ERRORS.extend(f"{operation}: {p}" for p in problems)
        message = "the emulator's response failed validation"
        return botocore_shapes.query_error(SERVICE, "InternalFailure", message, request_id, False), _headers(
            request_id, 500
        )
    return botocore_shapes.query_response(SERVICE, operation, body, request_id), _headers(request_id, 200)


def _call(response: EBResponse, operation: str, request_id: str) -> Call:
    throttle = FAULTS["throttle"]
    if throttle.get(operation, 0) > 0:
        throttle[operation] -= 1
        raise BeanstalkError("Throttling", "Rate exceeded")
    form = {key: values[0] for key, values in response.querystring.items() if values}
    params = botocore_shapes.parse_query(SERVICE, operation, form)
    errors = botocore_shapes.validate_input(SERVICE, operation, params)
    if errors:
        raise BeanstalkError("ValidationError", botocore_shapes.error_message(errors))
    return Call(response.current_account, response.region, params, request_id)


def _method(operation: str):
    def method(self: EBResponse) -> tuple[str, dict[str, Any]]:
        request_id = str(uuid.uuid4())
        with LOCK:
            try:
                call = _call(self, operation, request_id)
                return _answer(operation, HANDLERS[operation](call), request_id)
            except BeanstalkError as exc:
                body = botocore_shapes.query_error(SERVICE, exc.code, exc.message, request_id, exc.status < 500)
                return body, _headers(request_id, exc.status)
            except Exception:  # an emulator bug: still an answer the SDKs parse
                LOG.exception("Elastic Beanstalk %s failed", operation)
                body = botocore_shapes.query_error(SERVICE, "InternalFailure", "emulator error", request_id, False)
                return body, _headers(request_id, 500)

    return method


def _enrich_response(headers: dict[str, Any], body: Any) -> tuple[dict[str, Any], Any]:
    """moto gives every answer a new request ID; the emulator's keep theirs (events name them)."""
    if "x-amzn-requestid" in headers:
        headers["status"] = str(headers.get("status", 200))
        return headers, body
    return BaseResponse._enrich_response(headers, body)


# ------------------------------------------------------------------ hooks
def _faults(body: bytes) -> tuple[int, Any]:
    return moto_patches.merge_faults(FAULTS, body, "fail_next_update")


def _state(_body: bytes) -> tuple[int, Any]:
    return 200, {"faults": FAULTS, "output_errors": list(OUTPUT_ERRORS), "environments": state.environments()}


def reset() -> None:
    state.reset()
    OUTPUT_ERRORS.clear()


def install() -> None:
    for operation in HANDLERS:
        setattr(EBResponse, camelcase_to_underscores(operation), _method(operation))
    EBResponse._enrich_response = staticmethod(_enrich_response)
    moto_patches.HOOKS[("POST", "/_mlops/beanstalk/faults")] = _faults
    moto_patches.HOOKS[("GET", "/_mlops/beanstalk")] = _state
    moto_patches.ON_RESET.append(reset)
