"""Shared EBS and RAID under mocks: volumes in the head node's AZ, attachments, deletion options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pcluster_pulumi.cluster.storage.shared import SharedStorage
from pcluster_pulumi.spec.model import ClusterSpec

from .conftest import Run, make_spec, network

VOLUME = "aws:ebs/volume:Volume"
ATTACHMENT = "aws:ec2/volumeAttachment:VolumeAttachment"
Build = Callable[[Callable[[], Any]], Run]


def storage_run(build: Build, spec: ClusterSpec, attach: bool = True) -> Run:
    def program() -> Any:
        storage = SharedStorage("st", spec, network=network(), tags={"team": "hpc"})
        if attach:
            storage.attach_to_head_node("i-0head")
        return storage.resolved

    return build(program)


def ebs(name: str = "data", **settings: Any) -> dict[str, Any]:
    return {"MountDir": f"/{name}", "Name": name, "StorageType": "Ebs", "EbsSettings": settings}


def test_a_new_volume_goes_in_the_head_node_az_with_parallelcluster_defaults(build: Build) -> None:
    run = storage_run(build, make_spec([ebs()]))
    (volume,) = run.of_type(VOLUME)
    assert volume.inputs == {
        "availabilityZone": "us-east-1a",
        "size": 40,
        "type": "gp3",
        "encrypted": True,
        "iops": 3000,
        "throughput": 125,
        "finalSnapshot": False,
        "tags": {"team": "hpc", "Name": "data"},
    }
    assert volume.parent == "st-data"


def test_volume_settings_are_passed_through(build: Build) -> None:
    settings = {
        "VolumeType": "io2",
        "Size": 100,
        "Iops": 2000,
        "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k",
        "SnapshotId": "snap-0123456789abcdef0",
        "Encrypted": True,
    }
    (volume,) = storage_run(build, make_spec([ebs(**settings)])).of_type(VOLUME)
    assert volume.inputs["type"] == "io2" and volume.inputs["size"] == 100 and volume.inputs["iops"] == 2000
    assert (
        volume.inputs["kmsKeyId"].endswith("key/k")
        and volume.inputs["snapshotId"] == "snap-0123456789abcdef0"
    )
    assert "throughput" not in volume.inputs


def test_volumes_are_encrypted_at_rest_even_when_the_spec_says_not(build: Build) -> None:
    spec = make_spec([ebs(Encrypted=False), ebs("r", Encrypted=False, Raid={"Type": 0})])
    volumes = storage_run(build, spec).of_type(VOLUME)
    assert len(volumes) == 3 and all(v.inputs["encrypted"] is True for v in volumes)


def test_io1_without_iops_gets_parallelcluster_default(build: Build) -> None:
    (volume,) = storage_run(build, make_spec([ebs(VolumeType="io1", Size=10)])).of_type(VOLUME)
    assert volume.inputs["iops"] == 100


def test_an_existing_volume_is_only_attached(build: Build) -> None:
    run = storage_run(build, make_spec([ebs(VolumeId="vol-0123456789abcdef0")]))
    assert run.of_type(VOLUME) == []
    (attachment,) = run.of_type(ATTACHMENT)
    assert attachment.inputs["volumeId"] == "vol-0123456789abcdef0"
    assert run.value == {"data": {"volume_ids": ["vol-0123456789abcdef0"]}}


def test_raid_members_are_created_and_attached_in_order(build: Build) -> None:
    spec = make_spec([ebs("r", Raid={"Type": 1, "NumberOfVolumes": 3}, Size=50), ebs("plain")])
    run = storage_run(build, spec)
    names = [v.name for v in run.of_type(VOLUME)]
    assert sorted(names) == ["st-plain-volume", "st-r-volume-1", "st-r-volume-2", "st-r-volume-3"]
    assert all(v.inputs["size"] == 50 for v in run.of_type(VOLUME) if v.name.startswith("st-r-"))
    attachments = {a.name: a.inputs for a in run.of_type(ATTACHMENT)}
    assert attachments["st-attach-plain-1"]["deviceName"] == "/dev/sdf"
    assert [attachments[f"st-attach-r-{i}"]["deviceName"] for i in (1, 2, 3)] == [
        "/dev/sdg",
        "/dev/sdh",
        "/dev/sdi",
    ]
    assert attachments["st-attach-r-2"]["volumeId"] == "st-r-volume-2-id"
    assert run.value["r"] == {"volume_ids": ["st-r-volume-1-id", "st-r-volume-2-id", "st-r-volume-3-id"]}


def test_attachments_target_the_head_node_and_leave_detaching_to_its_termination(build: Build) -> None:
    run = storage_run(build, make_spec([ebs()]))
    (attachment,) = run.of_type(ATTACHMENT)
    assert attachment.inputs["instanceId"] == "i-0head" and attachment.inputs["skipDestroy"] is True
    assert attachment.parent == "st-attach"


def test_no_attachments_component_without_ebs(build: Build) -> None:
    run = storage_run(build, make_spec([]))
    assert run.of_type(ATTACHMENT) == [] and not [r for r in run.records if r.name == "st-attach"]


@pytest.mark.parametrize(
    ("policy", "retained", "snapshot"),
    [("Delete", False, False), ("Retain", True, False), ("Snapshot", False, True)],
)
def test_deletion_policy_maps_to_retain_or_final_snapshot(
    build: Build, policy: str, retained: bool, snapshot: bool
) -> None:
    spec = make_spec([ebs(DeletionPolicy=policy), ebs("r", DeletionPolicy=policy, Raid={"Type": 0})])
    run = storage_run(build, spec)
    assert len(run.of_type(VOLUME)) == 3
    for volume in run.of_type(VOLUME):
        assert volume.retain_on_delete is retained
        assert volume.inputs["finalSnapshot"] is snapshot
    assert not any(a.retain_on_delete for a in run.of_type(ATTACHMENT))
