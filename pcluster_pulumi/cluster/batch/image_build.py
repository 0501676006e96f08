"""Build the job image during ``up`` and wait for it: a Pulumi dynamic resource over CodeBuild.

ParallelCluster starts the build from a Lambda-backed CloudFormation custom resource and waits
on a wait condition signalled by an EventBridge rule. Pulumi has neither, and needs neither: a
dynamic resource's provider runs in the deployment itself, so it starts the build, polls it
until it ends (``timeoutSeconds``, 3600 like ParallelCluster's wait condition), stops it on
timeout, and fails ``up`` with the failing phase and the CodeBuild log link. Its inputs carry
the source archive's hash and S3 version, so changed image sources rebuild the image and
nothing else does. On ``destroy`` it deletes the repository's images so the repository can go.

The AWS calls live in plain functions over a boto3 client (tested against moto); the provider
only maps Pulumi's create/update/delete onto them. Credentials are the deployment's own
(environment or profile), as for any boto3 client; the region is an input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic as dynamic

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "BuildFailed",
    "ImageBuild",
    "ImageBuildProvider",
    "delete_images",
    "failure_message",
    "start_and_wait",
]

#: ParallelCluster's DockerBuildWaitCondition timeout.
DEFAULT_TIMEOUT_SECONDS = 3600
POLL_SECONDS = 15.0
_DONE = {"SUCCEEDED", "FAILED", "FAULT", "STOPPED", "TIMED_OUT"}
#: ECR's BatchDeleteImage takes at most 100 image ids.
_DELETE_BATCH = 100


class BuildFailed(Exception):
    """The image build did not succeed; the message says which phase failed and where the logs are."""


@dataclass(frozen=True)
class BuildRequest:
    """One image build: which project builds which source version into which tag."""

    region: str
    project_name: str
    image_tag: str
    source_version: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> BuildRequest:
        """From the dynamic resource's inputs."""
        return cls(
            region=str(props["region"]),
            project_name=str(props["projectName"]),
            image_tag=str(props["imageTag"]),
            source_version=props.get("sourceVersion") or None,
            timeout_seconds=float(props.get("timeoutSeconds") or DEFAULT_TIMEOUT_SECONDS),
        )


def failure_message(build: Mapping[str, Any]) -> str:
    """``image build <id> FAILED in phase BUILD: <reason>; logs: <link>`` from a BatchGetBuilds entry."""
    status = build.get("buildStatus", "UNKNOWN")
    failed = [p for p in build.get("phases", []) if p.get("phaseStatus") not in (None, "SUCCEEDED")]
    where = f" in phase {failed[0]['phaseType']}" if failed else ""
    reasons = [c["message"] for p in failed for c in p.get("contexts", []) if c.get("message")]
    reason = f": {'; '.join(reasons)}" if reasons else ""
    link = (build.get("logs") or {}).get("deepLink")
    logs = f"; logs: {link}" if link else ""
    return f"job image build {build.get('id')} {status}{where}{reason}{logs}"


def start_and_wait(
    client: Any,
    request: BuildRequest,
    *,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Start a build and wait until it ends; return it when it SUCCEEDED, raise ``BuildFailed`` else.

    Past ``timeout_seconds`` the build is stopped (so it cannot push later) and ``BuildFailed``
    says so.
    """
    start: dict[str, Any] = {
        "projectName": request.project_name,
        "environmentVariablesOverride": [
            {"name": "IMAGE_TAG", "value": request.image_tag, "type": "PLAINTEXT"}
        ],
    }
    if request.source_version:
        start["sourceVersion"] = request.source_version
    build_id = client.start_build(**start)["build"]["id"]
    deadline = clock() + request.timeout_seconds
    while True:
        if clock() >= deadline:
            stopped = client.stop_build(id=build_id).get("build", {})
            link = (stopped.get("logs") or {}).get("deepLink")
            raise BuildFailed(
                f"job image build {build_id} did not finish within {request.timeout_seconds:g} s and was "
                f"stopped" + (f"; logs: {link}" if link else "")
            )
        build = client.batch_get_builds(ids=[build_id])["builds"][0]
        if build.get("buildStatus") in _DONE:
            if build["buildStatus"] != "SUCCEEDED":
                raise BuildFailed(failure_message(build))
            return dict(build)
        sleep(poll_seconds)


def delete_images(client: Any, repository: str) -> int:
    """Delete every image of a repository (absent repository: nothing to do); return how many."""
    # start-up: botocore loads only when the engine deletes the images, never during a plan
    from botocore.exceptions import ClientError

    ids: list[dict[str, str]] = []
    try:
        for page in client.get_paginator("list_images").paginate(repositoryName=repository):
            ids.extend(page.get("imageIds", []))
    except ClientError as error:
        if error.response["Error"]["Code"] == "RepositoryNotFoundException":
            return 0
        raise
    for start in range(0, len(ids), _DELETE_BATCH):
        client.batch_delete_image(repositoryName=repository, imageIds=ids[start : start + _DELETE_BATCH])
    return len(ids)


#: Inputs whose change means a new image: the sources, where they are, and the tag.
_REBUILD_KEYS = ("sourceHash", "sourceVersion", "imageTag", "projectName", "repositoryName", "region")


class ImageBuildProvider(dynamic.ResourceProvider):
    """Create = build and wait; update = rebuild; delete = empty the repository."""

    def _build(self, props: Mapping[str, Any]) -> dict[str, Any]:
        # start-up: boto3 loads only when the engine runs the build (a plan never imports it)
        import boto3

        request = BuildRequest.from_props(props)
        client = boto3.client("codebuild", region_name=request.region)
        build = start_and_wait(client, request)
        return {**props, "buildId": build["id"]}

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        """Build the image; the resource's id is the build's."""
        outs = self._build(props)
        return dynamic.CreateResult(id_=outs["buildId"], outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        """Only a change of sources, tag or target rebuilds (the timeout alone does not)."""
        changed = [k for k in _REBUILD_KEYS if olds.get(k) != news.get(k)]
        return dynamic.DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        """Rebuild from the new sources (older tags stay for jobs still using them)."""
        return dynamic.UpdateResult(outs=self._build(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Delete the repository's images, so that the repository itself can be deleted."""
        # start-up: boto3 loads only when the engine runs the delete (a plan never imports it)
        import boto3

        delete_images(boto3.client("ecr", region_name=str(props["region"])), str(props["repositoryName"]))


class ImageBuild(dynamic.Resource, module="batch", name="ImageBuild"):
    """One build of the job image; ``build_id`` resolves when the image is in the repository."""

    @property
    def build_id(self) -> pulumi.Output[str]:
        """The CodeBuild build that produced the image (a dynamic resource output, named as its input)."""
        output: pulumi.Output[str] = getattr(self, "buildId")  # noqa: B009 - set by the engine
        return output

    def __init__(
        self,
        name: str,
        *,
        region: pulumi.Input[str],
        project_name: pulumi.Input[str],
        repository_name: pulumi.Input[str],
        image_tag: pulumi.Input[str],
        source_version: pulumi.Input[str | None],
        source_hash: str,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "region": region,
            "projectName": project_name,
            "repositoryName": repository_name,
            "imageTag": image_tag,
            "sourceVersion": source_version,
            "sourceHash": source_hash,
            "timeoutSeconds": timeout_seconds,
            "buildId": None,
        }
        super().__init__(ImageBuildProvider(), name, props, opts)
