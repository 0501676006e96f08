"""The image-build dynamic resource against moto's CodeBuild and ECR.

What moto shows: a build started on the project with our source version, polled until it
ends, stopped on timeout (moto's own record says STOPPED), the log link of a build, images
deleted on destroy so the repository can be deleted. What it cannot: moto completes every build
on the first poll (even a stopped one, once read) and never fails one, so the failed and
in-progress answers below are moto's answers with the status edited by the test."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.codebuild.models import codebuild_backends

from pcluster_pulumi.cluster.batch.image_build import (
    BuildFailed,
    BuildRequest,
    ImageBuildProvider,
    delete_images,
    failure_message,
    start_and_wait,
)

REGION = "us-east-1"
PROJECT = "pcluster-demo-build-docker-images-project"
REPOSITORY = "pcluster-demo"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


@pytest.fixture
def codebuild(aws: None) -> Any:
    client = boto3.client("codebuild", region_name=REGION)
    client.create_project(
        name=PROJECT,
        source={"type": "S3", "location": "bucket/pcluster-pulumi/demo/batch-image/job-image.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "privilegedMode": True,
        },
        serviceRole="arn:aws:iam::123456789012:role/codebuild",
    )
    return client


def request(**overrides: Any) -> BuildRequest:
    values: dict[str, Any] = {
        "region": REGION,
        "project_name": PROJECT,
        "image_tag": "alinux2023-0123456789ab",
        "source_version": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
    }
    return BuildRequest(**{**values, **overrides})


def no_sleep(_: float) -> None:
    raise AssertionError("a finished build is not polled again")


def test_a_build_is_started_on_the_project_with_the_uploaded_source_version(codebuild: Any) -> None:
    build = start_and_wait(codebuild, request(), sleep=no_sleep)
    assert build["buildStatus"] == "SUCCEEDED"
    assert codebuild.list_builds_for_project(projectName=PROJECT)["ids"] == [build["id"]]
    stored = codebuild.batch_get_builds(ids=[build["id"]])["builds"][0]
    assert stored["sourceVersion"] == "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"


class Answering:
    """moto's client with its BatchGetBuilds answers edited by ``edit`` (moto never fails a build)."""

    def __init__(self, client: Any, edit: Any) -> None:
        self._client, self._edit, self.polls = client, edit, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_get_builds(self, **kwargs: Any) -> Any:
        self.polls += 1
        answer = self._client.batch_get_builds(**kwargs)
        self._edit(self.polls, answer["builds"][0])
        return answer


def build_status(build_id: str) -> str:
    """moto's own record of a build (reading it through the API would mark it SUCCEEDED)."""
    backend = codebuild_backends["123456789012"][REGION]
    return next(b for bs in backend.build_metadata_history.values() for b in bs if b["id"] == build_id)[
        "buildStatus"
    ]


def test_a_build_that_ends_unsuccessfully_fails_up_with_its_phase_and_log_link(codebuild: Any) -> None:
    def failed(_: int, build: dict[str, Any]) -> None:
        build["buildStatus"] = "FAILED"
        build["phases"][-1].update(phaseStatus="FAILED", contexts=[{"message": "docker push: denied"}])

    with pytest.raises(BuildFailed) as raised:
        start_and_wait(Answering(codebuild, failed), request(), sleep=no_sleep)
    (build_id,) = codebuild.list_builds_for_project(projectName=PROJECT)["ids"]
    message = str(raised.value)
    assert message.startswith(f"job image build {build_id} FAILED in phase COMPLETED: docker push: denied")
    assert "; logs: https://console.aws.amazon.com/cloudwatch/" in message


def test_a_build_past_its_timeout_is_stopped_and_reported(codebuild: Any) -> None:
    ticks = iter([0.0, 10_000.0])
    with pytest.raises(BuildFailed, match=r"did not finish within 3600 s and was stopped; logs: https://"):
        start_and_wait(codebuild, request(timeout_seconds=3600), clock=lambda: next(ticks), sleep=no_sleep)
    (build_id,) = codebuild.list_builds_for_project(projectName=PROJECT)["ids"]
    assert build_status(build_id) == "STOPPED"


def test_an_unfinished_build_is_polled_until_it_ends(codebuild: Any) -> None:
    def in_progress_twice(poll: int, build: dict[str, Any]) -> None:
        if poll <= 2:
            build["buildStatus"] = "IN_PROGRESS"

    slept: list[float] = []
    build = start_and_wait(
        Answering(codebuild, in_progress_twice), request(), poll_seconds=7, sleep=slept.append
    )
    assert (build["buildStatus"], slept) == ("SUCCEEDED", [7, 7])


def test_the_failure_message_names_the_failed_phase_and_its_reason() -> None:
    build = {
        "id": "proj:1234",
        "buildStatus": "FAILED",
        "phases": [
            {"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED"},
            {"phaseType": "PRE_BUILD", "phaseStatus": "SUCCEEDED"},
            {
                "phaseType": "BUILD",
                "phaseStatus": "FAILED",
                "contexts": [
                    {
                        "statusCode": "COMMAND_EXECUTION_ERROR",
                        "message": "Error while executing command: docker build. Reason: exit status 1",
                    }
                ],
            },
            {"phaseType": "FINALIZING"},
        ],
        "logs": {
            "deepLink": "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEvent:group=g"
        },
    }
    assert failure_message(build) == (
        "job image build proj:1234 FAILED in phase BUILD: Error while executing command: docker build. "
        "Reason: exit status 1; logs: https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEvent:group=g"
    )


def _push(ecr: Any, tag: str) -> None:
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "digest": "sha256:" + hashlib.sha256(tag.encode()).hexdigest(),
            "size": 1,
            "mediaType": "application/vnd.docker.container.image.v1+json",
        },
        "layers": [],
    }
    ecr.put_image(repositoryName=REPOSITORY, imageManifest=json.dumps(manifest), imageTag=tag)


def test_destroy_deletes_every_image_so_the_repository_can_go(aws: None) -> None:
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName=REPOSITORY)
    for tag in ("alinux2023-aaaaaaaaaaaa", "alinux2023-bbbbbbbbbbbb", "alinux2023-cccccccccccc"):
        _push(ecr, tag)
    ImageBuildProvider().delete("build-id", {"region": REGION, "repositoryName": REPOSITORY})
    assert ecr.list_images(repositoryName=REPOSITORY)["imageIds"] == []
    ecr.delete_repository(repositoryName=REPOSITORY)  # refused by ECR while images remain


def test_deleting_images_of_a_repository_already_gone_is_not_an_error(aws: None) -> None:
    assert delete_images(boto3.client("ecr", region_name=REGION), "never-created") == 0


def props(**overrides: Any) -> dict[str, Any]:
    values = {
        "region": REGION,
        "projectName": PROJECT,
        "repositoryName": REPOSITORY,
        "imageTag": "alinux2023-0123456789ab",
        "sourceVersion": "v1",
        "sourceHash": "0123456789ab" + "0" * 52,
        "timeoutSeconds": 3600,
        "buildId": None,
    }
    return {**values, **overrides}


def test_the_provider_creates_by_building_and_records_the_build_id(codebuild: Any) -> None:
    created = ImageBuildProvider().create(props())
    assert created.id == created.outs["buildId"]
    assert codebuild.list_builds_for_project(projectName=PROJECT)["ids"] == [created.id]


def test_only_new_sources_or_a_new_target_rebuild(codebuild: Any) -> None:
    provider = ImageBuildProvider()
    old = {**props(), "buildId": "b1"}
    assert provider.diff("b1", old, props(timeoutSeconds=60)).changes is False
    for key, value in (("sourceHash", "f" * 64), ("sourceVersion", "v2"), ("imageTag", "alinux2023-ffff")):
        assert provider.diff("b1", old, props(**{key: value})).changes is True, key
    rebuilt = provider.update("b1", old, props(sourceVersion="v2"))
    assert rebuilt.outs["buildId"] in codebuild.list_builds_for_project(projectName=PROJECT)["ids"]
    assert rebuilt.outs["buildId"] != "b1"
