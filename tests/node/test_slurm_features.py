"""A compute resource's CustomSlurmSettings may add node Features (ParallelCluster 3.16.1
allows them): slurm.conf keeps the features the runtime sets and adds the user's."""

from __future__ import annotations

import pytest

from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.node.slurm_conf import render_slurm_conf

from .factories import config_dict

LAYOUT = SlurmLayout(controller_hostname="ip-10-0-0-10", controller_address="10.0.0.10")


def _node_lines(settings: dict[str, object]) -> list[str]:
    document = config_dict()
    document["queues"][0]["compute_resources"][0]["custom_slurm_settings"] = settings
    text = render_slurm_conf(NodeConfig.from_dict(document), LAYOUT)
    return [line for line in text.splitlines() if line.startswith("NodeName=")]


@pytest.mark.parametrize("key", ["Features", "Feature", "features"])
def test_user_features_are_added_to_the_runtime_ones(key: str) -> None:
    lines = _node_lines({key: "fast,ssd", "RealMemory": 1000})
    assert lines
    for line in lines:
        fields = dict(part.split("=", 1) for part in line.split(" "))
        assert "Features" not in fields and "features" not in fields
        kind = fields["Feature"].split(",")[0]
        assert kind in ("static", "dynamic")
        assert fields["Feature"].endswith(",fast,ssd")
        assert fields["RealMemory"] == "1000"


def test_a_feature_the_runtime_sets_is_not_repeated() -> None:
    (line, *_) = _node_lines({"Features": ["dynamic", "big"]})
    feature = dict(part.split("=", 1) for part in line.split(" "))["Feature"]
    assert feature.split(",").count("dynamic") == 1 and feature.endswith(",big")
