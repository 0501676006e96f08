"""Upgrading pcluster-pulumi never stops, starts or replaces the head node.

EC2 stops and starts an instance whose user data changes (and Pulumi replaces one when an
input that forces replacement changes). A new release changes the bootstrap text; planned
twice, once with today's and once with another bootstrap, the head node's instance must get
exactly the same inputs — while compute nodes, which boot fresh anyway, do get the new one.
"""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import replace

import pytest

from pcluster_pulumi.cluster.user_data import LOADER
from pcluster_pulumi.contract import bootstrap
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.derive.runtime_config import RuntimeResources, render_runtime_config
from pcluster_pulumi.engines.offline.plan import Plan, plan
from pcluster_pulumi.node.update_changes import compute_changes

from .conftest import EXAMPLES, MINIMAL, context, named, of_type

EXAMPLE = EXAMPLES / "slurm-minimal.yaml"


def planned(monkeypatch: pytest.MonkeyPatch, script: str | None = None) -> Plan:
    if script is not None:
        monkeypatch.setattr(bootstrap, "SCRIPT", script)
    return plan(str(EXAMPLE), "upgrade")


def test_a_new_bootstrap_text_leaves_the_head_node_instance_untouched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    today = planned(monkeypatch)
    release = planned(
        monkeypatch, bootstrap.SCRIPT.replace("bootstrap of $ROLE", "bootstrap (next release) of $ROLE")
    )

    head_today, head_release = (named(p, "upgrade-head-node-instance") for p in (today, release))
    assert head_release.inputs == head_today.inputs
    assert head_release.dependencies == head_today.dependencies

    def compute_user_data(result: Plan) -> list[str]:
        templates = of_type(result, "aws:ec2/launchTemplate:LaunchTemplate")
        return [base64.b64decode(t.inputs["userData"]).decode() for t in templates]

    assert all("next release" not in text for text in compute_user_data(today))
    assert all("next release" in text for text in compute_user_data(release))


def test_the_head_node_user_data_is_its_settings_and_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    user_data = named(planned(monkeypatch), "upgrade-head-node-instance").inputs["userData"]
    document = json.loads(user_data.split("\n", 1)[1])
    paths = [f["path"] for f in document["write_files"]]
    assert paths == ["/etc/pcluster-pulumi/bootstrap.env", "/opt/pcluster-pulumi/bin/head-loader.sh"]
    assert document["runcmd"] == [["/opt/pcluster-pulumi/bin/head-loader.sh"]]
    assert bootstrap.SCRIPT not in user_data and len(user_data.encode()) < 4096


def test_the_loader_is_valid_bash_and_hands_over_to_the_package() -> None:
    subprocess.run(["bash", "-n"], input=LOADER, text=True, check=True)
    assert "python3 -m pcluster_pulumi.node.update_bootstrap head" in LOADER
    assert LOADER.rstrip().endswith("exec /opt/pcluster-pulumi/bin/bootstrap.sh")


def test_the_node_package_version_travels_in_the_runtime_configuration() -> None:
    resources = RuntimeResources(
        head_node_private_ip="10.0.0.10", bucket="b", node_package_key="p/node.tar.gz"
    )
    documents = [
        render_runtime_config(context(MINIMAL), replace(resources, node_package_version=version))
        for version in ("etag-of-release-1", "etag-of-release-2")
    ]
    assert [d["node_package_version"] for d in documents] == ["etag-of-release-1", "etag-of-release-2"]
    changes = compute_changes(*(NodeConfig.from_dict(d) for d in documents))
    assert changes.node_package_changed and changes.summary() == "node package upgraded"


def test_queue_update_strategy_reaches_the_head_node() -> None:
    text = MINIMAL.replace(
        "SlurmQueues:", "SlurmSettings:\n    QueueUpdateStrategy: DRAIN\n  SlurmQueues:", 1
    )
    assert "QueueUpdateStrategy" in text
    resources = RuntimeResources(head_node_private_ip="10.0.0.10", bucket="b", node_package_key="k")
    document = render_runtime_config(context(text), resources)
    assert document["scheduler"]["queue_update_strategy"] == "DRAIN"
    assert NodeConfig.from_dict(document).scheduler.queue_update_strategy == "DRAIN"
    default = render_runtime_config(context(MINIMAL), resources)
    assert default["scheduler"]["queue_update_strategy"] == "COMPUTE_FLEET_STOP"
