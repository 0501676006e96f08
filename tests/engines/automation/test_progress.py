"""Progress views fed by recorded engine events (the JSON the Pulumi engine streams).

The fixtures below are engine event logs in the CLI's ``--event-log`` format (one
``apitype.EngineEvent`` per line): an update that creates, updates, keeps and fails
resources, and a preview. They are parsed with the Automation API's own
``EngineEvent.from_json``, exactly as ``stack.up(on_event=...)`` delivers them.
"""

from __future__ import annotations

import io
import json

from pulumi import automation as auto
from pulumi.automation.events import OpType
from rich.console import Console

from pcluster_pulumi.engines.automation.progress import (
    LiveView,
    PlainView,
    Progress,
    expected_steps,
    make_view,
)


def urn(types: str, name: str) -> str:
    return f"urn:pulumi:demo::pcluster-pulumi::{types}::{name}"


CHILD = "pcluster:cluster:Cluster$"
STACK = urn("pulumi:pulumi:Stack", "pcluster-pulumi-demo")
CLUSTER = urn("pcluster:cluster:Cluster", "demo")
PROVIDER = urn("pulumi:providers:aws", "aws")
NODES = urn(f"{CHILD}pcluster:instance_table:InstanceTable$aws:dynamodb/table:Table", "demo-tables-nodes")
STATUS = urn(f"{CHILD}pcluster:instance_table:InstanceTable$aws:dynamodb/table:Table", "demo-tables-status")
BUCKET = urn(f"{CHILD}pcluster:bucket:Bucket$aws:s3/bucketV2:BucketV2", "demo-bucket-artifacts")
TEMPLATE = urn(
    f"{CHILD}pcluster:slurm_queues:SlurmQueues$aws:ec2/launchTemplate:LaunchTemplate",
    "demo-queues-compute-c5xl",
)
HEAD = urn(f"{CHILD}pcluster:head_node:HeadNode$aws:ec2/instance:Instance", "demo-head-node-instance")


def _meta(op: str, urn: str) -> dict[str, object]:
    kind = urn.split("::")[2].split("$")[-1]
    return {
        "op": op,
        "urn": urn,
        "type": kind,
        "provider": "",
        "old": None,
        "new": None,
        "detailedDiff": None,
    }


def _line(seq: int, ts: int, **event: object) -> str:
    return json.dumps({"sequence": seq, "timestamp": ts, **event})


UP_EVENTS = "\n".join(
    [
        _line(0, 1718000000, preludeEvent={"config": {"aws:region": "us-east-1"}}),
        _line(1, 1718000000, resourcePreEvent={"metadata": _meta("create", STACK)}),
        _line(2, 1718000001, resourcePreEvent={"metadata": _meta("create", PROVIDER)}),
        _line(3, 1718000001, resOutputsEvent={"metadata": _meta("create", PROVIDER)}),
        _line(4, 1718000002, resourcePreEvent={"metadata": _meta("create", CLUSTER)}),
        _line(5, 1718000002, resourcePreEvent={"metadata": _meta("same", BUCKET)}),
        _line(6, 1718000002, resOutputsEvent={"metadata": _meta("same", BUCKET)}),
        _line(7, 1718000003, resourcePreEvent={"metadata": _meta("create", NODES)}),
        _line(8, 1718000003, resourcePreEvent={"metadata": _meta("create", STATUS)}),
        _line(9, 1718000004, resourcePreEvent={"metadata": _meta("update", TEMPLATE)}),
        _line(
            10,
            1718000004,
            diagnosticEvent={
                "urn": TEMPLATE,
                "prefix": "warning: ",
                "message": "<{%fg 3%}>instance type c5.xlarge is previous generation<{%reset%}>\n",
                "color": "raw",
                "severity": "warning",
            },
        ),
        _line(11, 1718000009, resOutputsEvent={"metadata": _meta("update", TEMPLATE)}),
        _line(12, 1718000012, resOutputsEvent={"metadata": _meta("create", NODES)}),
        _line(13, 1718000013, resOutputsEvent={"metadata": _meta("create", STATUS)}),
        _line(14, 1718000014, resourcePreEvent={"metadata": _meta("create", HEAD)}),
        _line(
            15,
            1718000075,
            diagnosticEvent={
                "urn": HEAD,
                "prefix": "error: ",
                "message": "1 error occurred:\n\t* creating EC2 Instance: InvalidKeyPair.NotFound: "
                "The key pair 'my-key' does not exist\n",
                "color": "raw",
                "severity": "error",
            },
        ),
        _line(16, 1718000075, resOpFailedEvent={"metadata": _meta("create", HEAD), "status": 1, "steps": 0}),
        _line(
            17,
            1718000075,
            diagnosticEvent={"urn": STACK, "message": "update failed", "color": "raw", "severity": "error"},
        ),
        _line(
            18,
            1718000076,
            summaryEvent={
                "maybeCorrupt": False,
                "durationSeconds": 76,
                "resourceChanges": {"create": 4, "update": 1, "same": 1},
                "PolicyPacks": {},
            },
        ),
    ]
)

PREVIEW_EVENTS = "\n".join(
    [
        _line(0, 1718000100, preludeEvent={"config": {}}),
        _line(1, 1718000100, resourcePreEvent={"metadata": _meta("same", STACK), "planning": True}),
        _line(2, 1718000101, resourcePreEvent={"metadata": _meta("create", NODES), "planning": True}),
        _line(3, 1718000101, resOutputsEvent={"metadata": _meta("create", NODES), "planning": True}),
        _line(4, 1718000101, resourcePreEvent={"metadata": _meta("replace", HEAD), "planning": True}),
        _line(5, 1718000102, resourcePreEvent={"metadata": _meta("delete", BUCKET), "planning": True}),
        _line(
            6,
            1718000103,
            summaryEvent={
                "maybeCorrupt": False,
                "durationSeconds": 3,
                "resourceChanges": {"create": 1, "replace": 1, "delete": 1, "same": 40},
                "PolicyPacks": {},
            },
        ),
    ]
)


def events(text: str) -> list[auto.EngineEvent]:
    return [auto.EngineEvent.from_json(json.loads(line)) for line in text.splitlines()]


class Clock:
    """A controllable wall clock for the live view's 'in flight for' column."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def replay_plain(text: str, operation: str, expected: int | None = None) -> tuple[str, Progress]:
    progress = Progress(operation, "demo", expected=expected, clock=Clock())
    out = io.StringIO()
    with PlainView(progress, out) as view:
        for event in events(text):
            view(event)
    return out.getvalue(), progress


def test_update_renders_one_plain_line_per_step_with_event_times() -> None:
    text, _ = replay_plain(UP_EVENTS, "update", expected=5)
    assert text.splitlines() == [
        "update of cluster demo...",
        "[  0:00] +  creating  pulumi:pulumi:Stack  pcluster-pulumi-demo",
        "[  0:01] +  creating  pulumi:providers:aws  aws",
        "[  0:01] +  created   pulumi:providers:aws  aws  (1/5)",
        "[  0:02] +  creating  pcluster:cluster:Cluster  demo",
        "[  0:03] +  creating  aws:dynamodb/table:Table  demo-tables-nodes",
        "[  0:03] +  creating  aws:dynamodb/table:Table  demo-tables-status",
        "[  0:04] ~  updating  aws:ec2/launchTemplate:LaunchTemplate  demo-queues-compute-c5xl",
        "[  0:04] !  warning   demo-queues-compute-c5xl: instance type c5.xlarge is previous generation",
        "[  0:09] ~  updated   aws:ec2/launchTemplate:LaunchTemplate  demo-queues-compute-c5xl  (2/5)",
        "[  0:12] +  created   aws:dynamodb/table:Table  demo-tables-nodes  (3/5)",
        "[  0:13] +  created   aws:dynamodb/table:Table  demo-tables-status  (4/5)",
        "[  0:14] +  creating  aws:ec2/instance:Instance  demo-head-node-instance",
        "[  1:15] x  error     demo-head-node-instance: 1 error occurred: * creating EC2 Instance: "
        "InvalidKeyPair.NotFound: The key pair 'my-key' does not exist",
        "[  1:15] x  failed    aws:ec2/instance:Instance  demo-head-node-instance",
        "[  1:15] x  error     update failed",
        "[  1:16] update of demo: 4 create, 1 update, 1 unchanged (1m16s)",
    ]


def test_unchanged_resources_are_neither_shown_nor_counted() -> None:
    text, progress = replay_plain(UP_EVENTS, "update")
    assert "demo-bucket-artifacts" not in text
    assert BUCKET not in progress.done


def test_state_after_a_failed_update() -> None:
    _, progress = replay_plain(UP_EVENTS, "update", expected=5)
    done, in_flight, problems, _ = progress.snapshot()
    assert done == 4
    assert {s.name for s in in_flight} == {"pcluster-pulumi-demo", "demo"}  # never finished
    assert progress.failures[0].startswith("demo-head-node-instance: 1 error occurred")
    assert progress.warnings == ["demo-queues-compute-c5xl: instance type c5.xlarge is previous generation"]
    assert progress.summary == {"create": 4, "update": 1, "same": 1}
    assert progress.duration == 76
    assert len(problems) == 3


def test_preview_lists_planned_steps_and_keeps_them_for_json() -> None:
    text, progress = replay_plain(PREVIEW_EVENTS, "preview")
    assert text.splitlines() == [
        "planning cluster demo...",
        "[  0:01] +  create    aws:dynamodb/table:Table  demo-tables-nodes",
        "[  0:01] +- replace   aws:ec2/instance:Instance  demo-head-node-instance",
        "[  0:02] -  delete    aws:s3/bucketV2:BucketV2  demo-bucket-artifacts",
        "[  0:03] preview of demo: 1 create, 1 delete, 1 replace, 40 unchanged (0m03s)",
    ]
    assert progress.planned == [
        {"op": "create", "urn": NODES, "type": "aws:dynamodb/table:Table"},
        {"op": "replace", "urn": HEAD, "type": "aws:ec2/instance:Instance"},
        {"op": "delete", "urn": BUCKET, "type": "aws:s3/bucketV2:BucketV2"},
    ]
    assert progress.snapshot()[1] == []  # a preview puts nothing in flight


def test_expected_steps_come_from_the_preview_summary() -> None:
    assert expected_steps({OpType.CREATE: 50, OpType.SAME: 3, OpType.UPDATE: 2}) == 52
    assert expected_steps({"same": 7}) == 0
    assert expected_steps({}) is None


def live_console(width: int = 120) -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=width, color_system=None, record=True)


def test_live_view_shows_counts_in_flight_steps_and_elapsed_time() -> None:
    clock = Clock(1000.0)
    progress = Progress("update", "demo", expected=5, clock=clock)
    console = live_console()
    view = LiveView(progress, console)
    for event in events(UP_EVENTS)[:9]:  # up to the launch template update starting
        view(event)
    clock.now = 1083.0
    console.print(view.render())
    screen = console.export_text()
    assert "Updating cluster demo" in screen
    assert "1/5 resources" in screen
    assert "1:23 elapsed" in screen
    assert "4 in flight" in screen  # stack, cluster component, two tables (launch template not yet)
    assert "creating  aws:dynamodb/table:Table  demo-tables-nodes" in " ".join(screen.split("\n"))


def test_live_view_prints_problems_above_the_panel() -> None:
    progress = Progress("update", "demo", expected=5, clock=Clock())
    console = live_console()
    with LiveView(progress, console) as view:
        for event in events(UP_EVENTS):
            view(event)
    screen = console.export_text()
    assert "!  warning   demo-queues-compute-c5xl: instance type c5.xlarge is previous generation" in screen
    assert "x error demo-head-node-instance: 1 error occurred" in " ".join(screen.split())
    assert "update of demo: 4 create, 1 update, 1 unchanged (1m16s)" in screen


def test_live_view_caps_the_in_flight_table() -> None:
    progress = Progress("destroy", "demo", clock=Clock())
    console = live_console()
    view = LiveView(progress, console, max_rows=2)
    for index in range(5):
        urn = f"{NODES}-{index}"
        view(
            auto.EngineEvent.from_json(
                {"sequence": index, "timestamp": 1, "resourcePreEvent": {"metadata": _meta("delete", urn)}}
            )
        )
    console.print(view.render())
    screen = console.export_text()
    assert "Destroying cluster demo" in screen
    assert "... and 3 more" in screen


def test_terminals_get_the_live_view_and_pipes_get_plain_lines() -> None:
    progress = Progress("update", "demo")
    assert isinstance(make_view(progress, live_console()), LiveView)
    piped = Console(file=io.StringIO(), force_terminal=False)
    assert isinstance(make_view(progress, piped), PlainView)
