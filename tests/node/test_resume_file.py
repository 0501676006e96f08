"""slurmctld's ``SLURM_RESUME_FILE`` in both formats: jobs keep all-or-nothing launches on Slurm 22.05 too."""

from __future__ import annotations

import json
from pathlib import Path

from pcluster_pulumi.node.resume_plan import plan, read_resume_file


def write(tmp_path: Path, document: object) -> str:
    path = tmp_path / "resume.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_slurm_22_05_format_names_each_job_nodes(tmp_path: Path) -> None:
    # What Debian's slurmctld 22.05.8 writes (power_save.c: "jobs"[].{"job_id","nodes"}, "all_nodes").
    path = write(
        tmp_path,
        {
            "all_nodes": "q1-dy-c5-[1-3],q2-dy-g4-1",
            "jobs": [
                {"job_id": 11, "nodes": "q1-dy-c5-[1-2]"},
                {"job_id": 12, "nodes": "q1-dy-c5-3,q2-dy-g4-1"},
            ],
        },
    )
    assert read_resume_file(path) == [["q1-dy-c5-1", "q1-dy-c5-2"], ["q1-dy-c5-3", "q2-dy-g4-1"]]


def test_slurm_23_02_format_prefers_nodes_to_resume_over_the_allocation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "all_nodes_resume": "q1-dy-c5-[2-3]",
            "jobs": [
                {
                    "job_id": 21,
                    "nodes_alloc": "q1-dy-c5-[1-3]",
                    "nodes_resume": "q1-dy-c5-[2-3]",
                    "partition": "q1",
                    "oversubscribe": "NO",
                }
            ],
        },
    )
    assert read_resume_file(path) == [["q1-dy-c5-2", "q1-dy-c5-3"]]


def test_22_05_jobs_become_all_or_nothing_launch_groups(tmp_path: Path) -> None:
    path = write(
        tmp_path, {"all_nodes": "q1-dy-c5-[1-2]", "jobs": [{"job_id": 5, "nodes": "q1-dy-c5-[1-2]"}]}
    )
    resume = plan(["q1-dy-c5-1", "q1-dy-c5-2"], read_resume_file(path), "all-or-nothing")
    assert [(g.nodes, g.all_or_nothing) for g in resume.groups] == [(("q1-dy-c5-1", "q1-dy-c5-2"), True)]
    assert resume.atomic_units == (("q1-dy-c5-1", "q1-dy-c5-2"),)


def test_absent_unreadable_or_odd_files_mean_no_jobs(tmp_path: Path) -> None:
    assert read_resume_file(None) == []
    assert read_resume_file(str(tmp_path / "missing.json")) == []
    (tmp_path / "bad.json").write_text("{not json")
    assert read_resume_file(str(tmp_path / "bad.json")) == []
    assert read_resume_file(write(tmp_path, {"jobs": ["q1-dy-c5-1", {"job_id": 1}]})) == []
