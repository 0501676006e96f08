"""load_spec: every problem at once, located, with ParallelCluster's scalar rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcluster_pulumi import ClusterSpec, SpecError, load_spec
from pcluster_pulumi.spec.problems import Level

from .conftest import MINIMAL, check, errors


def replace(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new)


def test_minimal_config_loads_from_text_path_and_spec(tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(MINIMAL)
    from_text = load_spec(MINIMAL)
    assert isinstance(from_text, ClusterSpec)
    assert load_spec(path) == from_text == load_spec(str(path))
    assert load_spec(from_text) is from_text


def test_spec_error_lists_every_problem_with_path_line_column_and_level() -> None:
    text = replace("MaxCount: 10", "MaxCount: ten").replace(
        "InstanceType: t3.medium", "InstanceTyp: t3.medium"
    )
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    problems = {p.path: p for p in caught.value.problems}
    assert set(problems) >= {
        "HeadNode.InstanceTyp",
        "HeadNode.InstanceType",
        "Scheduling.SlurmQueues[0].ComputeResources[0].MaxCount",
    }
    max_count = problems["Scheduling.SlurmQueues[0].ComputeResources[0].MaxCount"]
    assert (max_count.line, max_count.column, max_count.level) == (17, 21, Level.ERROR)
    assert "integer" in max_count.message
    assert max_count.validator is None


def test_misspelt_key_gets_a_did_you_mean_hint() -> None:
    [problem] = [
        p
        for p in errors(replace("InstanceType: t3.medium", "InstanceTyp: t3.medium"))
        if "unknown" in p.message
    ]
    assert problem.path == "HeadNode.InstanceTyp"
    assert "did you mean 'InstanceType'" in problem.message
    assert (problem.line, problem.column) == (4, 3)


def test_wrong_case_key_is_suggested() -> None:
    [problem] = [p for p in errors(replace("Os: alinux2023", "os: alinux2023")) if "unknown" in p.message]
    assert "did you mean 'Os'" in problem.message


def test_missing_required_key_names_the_key() -> None:
    problems = errors(replace("  InstanceType: t3.medium\n", ""))
    assert [p.path for p in problems] == ["HeadNode.InstanceType"]
    assert "missing" in problems[0].message
    assert (problems[0].line, problems[0].column) == (3, 1)  # at the HeadNode key


def test_enum_and_pattern_problems_say_what_is_allowed() -> None:
    [os_problem] = errors(replace("Os: alinux2023", "Os: windows"))
    assert "alinux2023" in os_problem.message and os_problem.path == "Image.Os"
    [subnet] = errors(replace("SubnetId: subnet-0123456789abcdef0", "SubnetId: net-1"))
    assert "subnet id" in subnet.message


def test_integers_accept_numeric_strings_like_parallelcluster() -> None:
    spec = load_spec(replace("MaxCount: 10", 'MaxCount: " 7 "'))
    assert spec.queues[0].compute_resources[0].max_count == 7


def test_lossy_float_is_truncated_with_a_warning() -> None:
    result = check(replace("MaxCount: 10", "MaxCount: 10.7"))
    assert result.spec is not None and result.spec.queues[0].compute_resources[0].max_count == 10
    [warning] = [p for p in result.problems if p.level is Level.WARNING and "truncated" in p.message]
    assert warning.path == "Scheduling.SlurmQueues[0].ComputeResources[0].MaxCount"


def test_booleans_accept_yaml_and_marshmallow_spellings() -> None:
    for spelling in ("yes", "on", "'True'", "'false'", "1"):
        text = replace("Os: alinux2023", "Os: alinux2023\nMonitoring:\n  DetailedMonitoring: " + spelling)
        assert isinstance(load_spec(text).monitoring.detailed_monitoring, bool), spelling


def test_boolean_is_not_an_integer_and_unquoted_yes_is_not_a_name() -> None:
    assert [p.path for p in errors(replace("MaxCount: 10", "MaxCount: true"))] == [
        "Scheduling.SlurmQueues[0].ComputeResources[0].MaxCount"
    ]
    [name] = [p for p in errors(replace("- Name: compute", "- Name: yes")) if p.validator is None]
    assert "quotes" in name.message


def test_null_section_is_refused_but_empty_list_is_accepted() -> None:
    [null] = errors(MINIMAL + "SharedStorage:\n")
    assert null.path == "SharedStorage" and "null" in null.message
    assert load_spec(MINIMAL + "SharedStorage: []\n").shared_storage == ()


def test_unquoted_time_read_as_a_number_gets_a_hint() -> None:
    text = MINIMAL + (
        "SharedStorage:\n  - Name: fsx\n    MountDir: /fsx\n    StorageType: FsxLustre\n"
        "    FsxLustreSettings:\n      StorageCapacity: 1200\n      DeploymentType: PERSISTENT_2\n"
        "      PerUnitStorageThroughput: 125\n      AutomaticBackupRetentionDays: 1\n"
        "      DailyAutomaticBackupStartTime: 13:30\n"
    )
    [problem] = [p for p in errors(text) if p.path.endswith("DailyAutomaticBackupStartTime")]
    assert "quotes" in problem.message


def test_scheduler_sections_must_match_the_scheduler() -> None:
    text = replace("Scheduler: slurm", "Scheduler: awsbatch")
    paths = {p.path for p in errors(text)}
    assert "Scheduling.AwsBatchQueues" in paths and "Scheduling.SlurmQueues" in paths


def test_custom_action_needs_script_or_sequence_not_both() -> None:
    both = replace(
        "  Ssh:\n",
        "  CustomActions:\n    OnNodeStart:\n      Script: s3://b/a.sh\n      Sequence:\n        - Script: s3://b/b.sh\n"
        "  Ssh:\n",
    )
    assert [p.path for p in errors(both)] == ["HeadNode.CustomActions.OnNodeStart.Sequence"]
    sequence = both.replace("      Script: s3://b/a.sh\n", "")
    spec = load_spec(sequence)
    assert spec.head_node.custom_actions is not None


def test_failure_level_and_suppression_behave_like_parallelcluster() -> None:
    text = replace("MaxCount: 10", "MaxCount: 10.5")  # one WARNING
    load_spec(text)  # warnings do not fail by default
    with pytest.raises(SpecError):
        load_spec(text, failure_level="WARNING")


def test_unknown_validator_name_is_refused() -> None:
    with pytest.raises(SpecError, match="unknown validator"):
        load_spec(MINIMAL, suppress_validators=["NoSuchValidator"])


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "absent.yaml")
