"""The Automation API layer, tested up to the Pulumi CLI boundary (no binary exists here).

What ``ClusterStack`` hands to ``LocalWorkspace`` is inspected directly (backend, passphrase,
project and stack settings); its inline program runs under the offline plan's mocks; CLI
failures are replayed from recorded ``CommandError`` texts.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult

import pcluster_pulumi
from pcluster_pulumi.engines.automation import stack
from pcluster_pulumi.engines.automation.stack import (
    SPEC_OUTPUT,
    ClusterStack,
    DeployError,
    PassphraseMissing,
    PulumiNotInstalled,
    StackMissing,
    explain_command_error,
    find_pulumi,
    resolve_backend,
    resolve_region,
    translate_errors,
)
from pcluster_pulumi.spec.problems import SpecError

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "slurm-minimal.yaml"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def env(**extra: str) -> dict[str, str]:
    """An environment with no pulumi on PATH and a passphrase, plus extras."""
    return {"PATH": "/nonexistent", "PULUMI_CONFIG_PASSPHRASE": "s3cret", **extra}


# --- backend, region, CLI discovery -------------------------------------------------------


def test_default_backend_is_a_local_file_backend_under_the_home(home: Path) -> None:
    backend = resolve_backend(None, {}, home)
    assert backend.url == (home / ".pcluster-pulumi" / "state").as_uri()
    assert backend.url.startswith("file:///")
    assert backend.local_dir == home / ".pcluster-pulumi" / "state"
    assert backend.work_dir == home / ".pcluster-pulumi" / "workspaces" / "default"
    assert backend.uses_passphrase


def test_backend_url_option_beats_the_environment(home: Path) -> None:
    backend = resolve_backend("s3://team-state", {"PULUMI_BACKEND_URL": "file:///elsewhere"}, home)
    assert backend.url == "s3://team-state"
    assert backend.local_dir is None
    assert backend.uses_passphrase


def test_environment_backend_is_used_and_gets_its_own_workspace(home: Path) -> None:
    one = resolve_backend(None, {"PULUMI_BACKEND_URL": "file:///srv/a"}, home)
    two = resolve_backend(None, {"PULUMI_BACKEND_URL": "file:///srv/b"}, home)
    assert one.url == "file:///srv/a"
    assert one.work_dir != two.work_dir
    assert one.work_dir.parent == home / ".pcluster-pulumi" / "workspaces"


def test_pulumi_cloud_needs_no_passphrase(home: Path) -> None:
    assert not resolve_backend("https://api.pulumi.com", {}, home).uses_passphrase


def test_region_comes_from_the_spec_then_the_environment() -> None:
    assert resolve_region("eu-west-1", {"AWS_REGION": "us-east-2"}) == "eu-west-1"
    assert resolve_region(None, {"AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "us-west-1"}) == "us-east-2"
    assert resolve_region(None, {"AWS_DEFAULT_REGION": "us-west-1"}) == "us-west-1"


def test_no_region_anywhere_is_one_clear_sentence() -> None:
    with pytest.raises(
        DeployError, match="no AWS region: set `Region:` in the cluster config, or export AWS_REGION"
    ):
        resolve_region(None, {})


def _fake_pulumi(directory: Path) -> Path:
    directory.mkdir(parents=True)
    binary = directory / "pulumi"
    binary.write_text("#!/bin/sh\necho v3.200.0\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


def test_pulumi_is_found_on_path(tmp_path: Path, home: Path) -> None:
    binary = _fake_pulumi(tmp_path / "bin")
    assert find_pulumi({"PATH": str(tmp_path / "bin")}, home) == binary


def test_pulumi_is_found_where_the_installer_puts_it(home: Path) -> None:
    binary = _fake_pulumi(home / ".pulumi" / "bin")
    assert find_pulumi({"PATH": "/nonexistent"}, home) == binary


def test_no_pulumi_anywhere(home: Path) -> None:
    assert find_pulumi({"PATH": "/nonexistent"}, home) is None


@pytest.mark.parametrize("operation", ["preview", "up", "refresh", "destroy", "outputs", "deployed_config"])
def test_every_operation_without_the_cli_raises_one_sentence_with_the_install_command(
    operation: str, home: Path
) -> None:
    stack = ClusterStack("demo", EXAMPLE, env=env(), home=home)
    with pytest.raises(PulumiNotInstalled) as raised:
        getattr(stack, operation)()
    message = str(raised.value)
    assert "curl -fsSL https://get.pulumi.com | sh" in message
    assert "\n" not in message


def test_listing_clusters_without_the_cli_raises_the_same(home: Path) -> None:
    with pytest.raises(PulumiNotInstalled):
        stack.list_clusters(None, env(), home)


def test_listing_decrypts_nothing_so_needs_no_passphrase(home: Path) -> None:
    probe = ClusterStack("demo", env={"PATH": "/x"}, home=home)
    assert "PULUMI_CONFIG_PASSPHRASE" not in (probe.workspace_options(secrets=False).env_vars or {})
    with pytest.raises(PassphraseMissing):
        probe.workspace_options()


# --- what the workspace is built from ---------------------------------------------------


def test_workspace_options_for_a_new_cluster(home: Path) -> None:
    stack = ClusterStack("demo", EXAMPLE, env=env(), home=home)
    options = stack.workspace_options()
    state = (home / ".pcluster-pulumi" / "state").as_uri()
    assert options.work_dir == str(home / ".pcluster-pulumi" / "workspaces" / "default")
    assert options.env_vars == {
        "PULUMI_BACKEND_URL": state,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }  # the passphrase is inherited from the environment, not copied
    assert options.secrets_provider == "passphrase"
    project = options.project_settings
    assert project is not None
    assert (project.name, project.runtime) == ("pcluster-pulumi", "python")
    assert project.backend is not None and project.backend.url == state
    assert options.program is not None
    settings = (options.stack_settings or {})["demo"]
    assert settings.config == {"aws:region": "us-east-1", "pcluster-pulumi:clusterName": "demo"}


def test_the_project_is_the_repository_project() -> None:
    from pcluster_pulumi.contract.names import PROJECT

    assert stack.PROJECT == PROJECT


def test_an_explicit_passphrase_is_passed_to_every_cli_call(home: Path) -> None:
    stack = ClusterStack("demo", EXAMPLE, passphrase="typed", env={"PATH": "/x"}, home=home)
    assert stack.workspace_options().env_vars["PULUMI_CONFIG_PASSPHRASE"] == "typed"  # type: ignore[index]


def test_a_passphrase_file_is_enough(home: Path) -> None:
    stack = ClusterStack("demo", EXAMPLE, env={"PULUMI_CONFIG_PASSPHRASE_FILE": "/run/pass"}, home=home)
    assert "PULUMI_CONFIG_PASSPHRASE" not in (stack.workspace_options().env_vars or {})


def test_no_passphrase_for_a_file_backend_is_refused_before_any_cli_call(home: Path) -> None:
    stack = ClusterStack("demo", EXAMPLE, env={"PATH": "/x"}, home=home)
    with pytest.raises(PassphraseMissing, match="PULUMI_CONFIG_PASSPHRASE"):
        stack.workspace_options()


def test_pulumi_cloud_uses_its_own_secrets(home: Path) -> None:
    stack = ClusterStack("demo", EXAMPLE, backend_url="https://api.pulumi.com", env={}, home=home)
    options = stack.workspace_options()
    assert options.secrets_provider is None
    assert "PULUMI_CONFIG_PASSPHRASE" not in (options.env_vars or {})


def test_region_falls_back_to_the_environment_when_the_spec_has_none(home: Path) -> None:
    text = EXAMPLE.read_text().replace("Region: us-east-1\n", "")
    stack = ClusterStack("demo", text, env=env(AWS_REGION="ap-south-1"), home=home)
    assert stack.region == "ap-south-1"
    assert (stack.workspace_options().stack_settings or {})["demo"].config["aws:region"] == "ap-south-1"  # type: ignore[index]


def test_existing_stack_file_keeps_its_salt_and_secrets(home: Path) -> None:
    work_dir = resolve_backend(None, {}, home).work_dir
    work_dir.mkdir(parents=True)
    (work_dir / "Pulumi.demo.yaml").write_text(
        yaml.safe_dump(
            {
                "encryptionsalt": "v1:abc:def",
                "config": {"aws:region": "us-east-1", "team:token": {"secure": "v1:cipher"}},
            }
        )
    )
    settings = ClusterStack("demo", EXAMPLE, env=env(), home=home).stack_settings()
    assert settings.encryption_salt == "v1:abc:def"
    assert settings.config is not None
    assert settings.config["team:token"] == {"secure": "v1:cipher"}
    assert settings._serialize()["config"]["team:token"] == {"secure": "v1:cipher"}


def test_commands_without_a_config_read_the_region_the_stack_was_deployed_to(home: Path) -> None:
    work_dir = resolve_backend(None, {}, home).work_dir
    work_dir.mkdir(parents=True)
    (work_dir / "Pulumi.demo.yaml").write_text("config:\n  aws:region: eu-central-1\n")
    stack = ClusterStack("demo", env=env(), home=home)
    assert stack.region == "eu-central-1"
    program = stack.workspace_options().program
    assert program is not None  # inline, so the CLI never looks for a project on disk...
    with pytest.raises(DeployError, match="only preview and up run the program"):
        program()  # ...but destroy and refresh pass --run-program=false


def test_an_invalid_config_is_refused_with_located_problems(home: Path) -> None:
    with pytest.raises(SpecError) as raised:
        ClusterStack("demo", "Image:\n  Os: alinux2023\n", env=env(), home=home)
    assert raised.value.problems


def test_constructing_a_stack_touches_neither_the_cli_nor_the_disk(home: Path) -> None:
    ClusterStack("demo", EXAMPLE, env=env(), home=home).workspace_options()
    assert not home.exists()


# --- the inline program, under mocks ------------------------------------------------------


def test_inline_program_builds_the_cluster_and_stores_the_config_as_given() -> None:
    from pcluster_pulumi.engines.offline.plan import plan

    text = EXAMPLE.read_text()

    def program(spec: object, name: str, region: str) -> None:
        ClusterStack(name, text, region=region, env=env()).program()

    planned = plan(EXAMPLE, "demo", program=program)
    assert planned.outputs[SPEC_OUTPUT] == text
    assert planned.outputs["statusTable"] == "parallelcluster-demo"
    providers = [r for r in planned.resources if r.type == "pulumi:providers:aws"]
    assert [p.inputs["region"] for p in providers] == ["us-east-1"]


# --- CLI failures, replayed ---------------------------------------------------------------

PROVIDER_FAILURE = """\
Updating (demo):

 +  pulumi:pulumi:Stack pcluster-pulumi-demo creating (0s)
 +  aws:ec2:Instance demo-head-node-instance creating (1s) error: 1 error occurred:
 +  pulumi:pulumi:Stack pcluster-pulumi-demo creating (3s) error: update failed

Diagnostics:
  aws:ec2:Instance (demo-head-node-instance):
    error: 1 error occurred:
    \t* creating EC2 Instance: operation error EC2: RunInstances, api error InvalidKeyPair.NotFound: \
The key pair 'my-key' does not exist

  pulumi:pulumi:Stack (pcluster-pulumi-demo):
    warning: aws:s3/bucketObjectv2 is deprecated
    error: update failed

Resources:
    + 40 created
    1 unchanged

Duration: 2m3s
"""

PROGRAM_FAILURE = """\
Previewing update (demo):

Diagnostics:
  pulumi:pulumi:Stack (pcluster-pulumi-demo):
    error: Program failed with an unhandled exception:
    Traceback (most recent call last):
      File "/work/main/pcluster_pulumi/program.py", line 40, in build
        cluster = Cluster(name, spec, opts=pulumi.ResourceOptions(provider=provider))
    ValueError: Region is us-east-1 but the AWS provider deploys to eu-west-1

    python inline source runtime error
"""


def command_error(stdout: str, stderr: str = "", code: int = 255) -> auto.CommandError:
    return auto.CommandError(CommandResult(stdout, stderr, code))


def test_provider_failure_becomes_one_paragraph_naming_the_resource() -> None:
    message = explain_command_error(command_error(PROVIDER_FAILURE, "error: update failed\n"))
    assert message.startswith(
        "pulumi failed (exit 255): aws:ec2:Instance (demo-head-node-instance): creating EC2"
    )
    assert "InvalidKeyPair.NotFound" in message
    assert "\n" not in message
    for noise in ("Resources:", "Duration", "deprecated", "1 error occurred", "update failed"):
        assert noise not in message


def test_program_failure_keeps_the_exception_not_the_traceback() -> None:
    message = explain_command_error(command_error(PROGRAM_FAILURE))
    assert "ValueError: Region is us-east-1 but the AWS provider deploys to eu-west-1" in message
    assert "Traceback" not in message and "File " not in message


def test_stderr_errors_are_kept() -> None:
    stderr = "error: failed to decrypt encrypted configuration value 'x': incorrect passphrase\n"
    message = explain_command_error(command_error("", stderr))
    assert message == f"pulumi failed (exit 255): {stderr.removeprefix('error: ').strip()}"


def test_an_error_without_any_message_says_so() -> None:
    assert "without a message" in explain_command_error(command_error("", ""))


def _raise_in_translation(error: BaseException) -> None:
    with translate_errors("demo", resolve_backend("file:///state", {}, Path("/h"))):
        raise error


def test_missing_stack_becomes_stack_missing() -> None:
    with pytest.raises(StackMissing, match="no cluster named 'demo' in file:///state"):
        _raise_in_translation(
            auto.StackNotFoundError(CommandResult("", "error: no stack named 'demo' found", 255))
        )


def test_a_locked_stack_says_how_to_unlock() -> None:
    with pytest.raises(DeployError, match="pulumi cancel --stack demo"):
        _raise_in_translation(
            auto.ConcurrentUpdateError(CommandResult("", "the stack is currently locked by", 255))
        )


def test_binary_vanishing_mid_run_is_pulumi_not_installed() -> None:
    with pytest.raises(PulumiNotInstalled):
        _raise_in_translation(FileNotFoundError(2, "No such file or directory", "pulumi"))


def test_other_missing_files_are_not_mistaken_for_the_cli() -> None:
    with pytest.raises(FileNotFoundError):
        _raise_in_translation(FileNotFoundError(2, "No such file or directory", "cluster.yaml"))


def test_python_usage_example_in_the_docs_matches_the_api() -> None:
    docs = (ROOT / "docs" / "deploy.md").read_text()
    assert "from pcluster_pulumi import ClusterStack" in docs
    assert pcluster_pulumi.ClusterStack is ClusterStack
    for name in ("preview(", "up(", "outputs(", "destroy("):
        assert f"stack.{name}" in docs
    assert callable(ClusterStack.up)
