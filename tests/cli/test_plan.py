"""``pcluster-pulumi plan``: tree, ``--json``, ``--facts``, located spec errors, exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcluster_pulumi.cli import app

from ..plans import CORPUS, EXAMPLES, MINIMAL

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "my_cluster.yaml"
    path.write_text(MINIMAL)
    return path


def test_default_output_is_a_tree_with_counts_and_outputs(config: Path) -> None:
    result = runner.invoke(app, ["plan", str(config)])
    assert result.exit_code == 0, result.output
    assert "cluster my-cluster (" in result.stdout
    assert "Resources by type" in result.stdout and "Stack outputs" in result.stdout
    assert "my-cluster-q1-c5" in result.stdout  # the launch template name, in the outputs


def test_json_output_is_exactly_the_plan_document(config: Path) -> None:
    result = runner.invoke(app, ["plan", str(config), "--json", "-n", "demo"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"cluster", "resources", "outputs"}
    assert document["cluster"] == "demo"
    assert any(r["inputs"].get("name") == "demo-q1-c5" for r in document["resources"])


def test_facts_file_overrides_the_mocked_answers(config: Path, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("region: eu-central-1\n")
    result = runner.invoke(app, ["plan", str(config), "--json", "--facts", str(facts)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["outputs"]["region"] == "eu-central-1"


def test_invalid_spec_prints_located_problems_and_exits_one(config: Path) -> None:
    config.write_text(MINIMAL.replace("MaxCount: 4", "MaxCount: lots"))
    result = runner.invoke(app, ["plan", str(config)])
    assert result.exit_code == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith(f"{config}:17:21: Scheduling.SlurmQueues[0].ComputeResources[0].MaxCount: ")
    assert "Traceback" not in result.output


def test_awsbatch_plans_the_whole_batch_graph() -> None:
    path = CORPUS / "valid" / "it_awsbatch-pcluster.config.yaml"
    result = runner.invoke(app, ["plan", str(path)])
    assert result.exit_code == 0, result.output
    shown = ("BatchScheduler", "ComputeEnvironment", "JobQueue", "JobDefinition", "ImageBuild")
    assert all(s in result.output for s in shown), result.output


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "does-not-exist.yaml"],
        ["plan", "{config}", "-n", "9lives"],
        ["plan", "{config}", "--facts", "{bad_facts}"],
        ["plan"],
    ],
)
def test_usage_errors_exit_two_without_a_traceback(args: list[str], config: Path, tmp_path: Path) -> None:
    bad_facts = tmp_path / "facts.yaml"
    bad_facts.write_text("colour: blue\n")
    argv = [a.format(config=config, bad_facts=bad_facts) for a in args]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_login_pools_plan_without_warnings_and_storage_is_planned() -> None:
    path = CORPUS / "valid" / "it_basic_essential_features-pcluster.config.yaml"
    result = runner.invoke(app, ["plan", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert warnings == []
    assert set(document["outputs"]["loginPools"]) == {"pool"}
    storage = [r for r in document["resources"] if r["type"] == "aws:ebs/volume:Volume"]
    assert [r["inputs"]["tags"]["Name"] for r in storage] == ["name1"]
    assert document["outputs"]["ebsIds"] == [f"{storage[0]['name']}-id"]


def test_storage_the_cluster_cannot_build_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "one_az.yaml"
    # Head node and queue share one subnet, so one AZ: too few for the managed accounting database.
    path.write_text(
        MINIMAL.replace("subnet-0bbbbbbbbbbbbbbb1", "subnet-0aaaaaaaaaaaaaaa0").replace(
            "  SlurmQueues:\n", "  SlurmSettings:\n    Database: {}\n  SlurmQueues:\n"
        )
    )
    result = runner.invoke(app, ["plan", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"{path}: the managed accounting database needs subnets in two availability zones, but the "
        "cluster's subnets are all in us-east-1a: set Scheduling.SlurmSettings.Database.SubnetIds or "
        "give Database.Uri of an existing database"
    )
    assert "Traceback" not in result.output and result.stdout == ""


def test_plan_help_teaches_the_options() -> None:
    result = runner.invoke(app, ["plan", "--help"])
    assert result.exit_code == 0
    for option in ("--name", "--json", "--facts"):
        assert option in result.stdout


def test_readme_quick_start_example_plans() -> None:
    result = runner.invoke(app, ["plan", str(EXAMPLES / "slurm-minimal.yaml")])
    assert result.exit_code == 0, result.output
