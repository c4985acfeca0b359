"""The `taskRunner` property of script tasks, as flows write it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tercel.errors import FlowValidationError, TaskError
from tercel.model.loader import load_flow
from tercel.plugins.scripts.task_runners import (
    DOCKER_TYPE,
    PROCESS_TYPE,
    DockerTaskRunner,
    runner_limits,
    runner_type,
)
from tercel.testing import FakeTaskContext, parse_task

COMMANDS = "io.kestra.plugin.scripts.shell.Commands"


def _task(runner: dict[str, object]) -> object:
    return parse_task({"id": "t", "type": COMMANDS, "commands": ["true"], "taskRunner": runner})


def test_process_runner_accepts_the_docker_shape_of_caps(tmp_path: Path) -> None:
    task = _task({"type": PROCESS_TYPE, "cpu": {"cpus": 0.5}, "memory": {"memory": "256MB"}})
    limits = runner_limits(FakeTaskContext(tmp_path), task.task_runner)  # type: ignore[attr-defined]
    assert (limits.cpus, limits.memory_bytes) == (0.5, 256 * 1024**2)
    assert runner_type(task.task_runner) == PROCESS_TYPE  # type: ignore[attr-defined]


def test_caps_are_rendered_from_inputs(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"cpu": "2", "mem": "1g"}})
    task = _task(
        {
            "type": PROCESS_TYPE,
            "cpu": {"cpus": "{{ inputs.cpu }}"},
            "memory": {"memory": "{{ inputs.mem }}"},
        }
    )
    limits = runner_limits(ctx, task.task_runner)  # type: ignore[attr-defined]
    assert (limits.cpus, limits.memory_bytes) == (2.0, 1024**3)


def test_a_bad_rendered_cap_is_a_task_error(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"mem": "plenty"}})
    task = _task({"type": PROCESS_TYPE, "memory": {"memory": "{{ inputs.mem }}"}})
    with pytest.raises(TaskError, match="invalid memory size `plenty`"):
        runner_limits(ctx, task.task_runner)  # type: ignore[attr-defined]


@pytest.mark.parametrize("runner_type_name", [PROCESS_TYPE, DOCKER_TYPE])
def test_a_bad_literal_cap_is_found_by_validate_at_its_line(runner_type_name: str) -> None:
    source = (
        "id: f\nnamespace: n\ntasks:\n  - id: t\n    type: " + COMMANDS + "\n"
        "    commands: [echo]\n    taskRunner:\n      type: " + runner_type_name + "\n"
        "      memory:\n        memory: lots\n      cpu:\n        cpus: many\n"
    )
    with pytest.raises(FlowValidationError) as caught:
        load_flow(source, "f.yml")
    assert [(p.message, p.line, p.column) for p in caught.value.problems] == [
        ("invalid memory size `lots` (use a number of bytes or e.g. `256MB`, `1g`)", 10, 17),
        ("invalid number of CPUs `many`", 12, 15),
    ]


def test_docker_runner_properties() -> None:
    task = _task(
        {
            "type": DOCKER_TYPE,
            "pullPolicy": "NEVER",
            "networkMode": "none",
            "user": "1000",
            "volumes": ["/data:/data"],
            "cpu": {"cpus": 1},
            "memory": {"memory": "512MB", "memorySwap": "1g"},
        }
    )
    runner = task.task_runner  # type: ignore[attr-defined]
    assert isinstance(runner, DockerTaskRunner)
    assert (runner.pull_policy, runner.network_mode, runner.volumes) == (
        "NEVER",
        "none",
        ["/data:/data"],
    )


def test_no_runner_means_a_local_process() -> None:
    task = parse_task({"id": "t", "type": COMMANDS, "commands": ["true"]})
    assert runner_type(task.task_runner) == PROCESS_TYPE  # type: ignore[attr-defined]


def test_unknown_runner_type_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match=r"unknown task runner type `io\.example\.Nope`"):
        _task({"type": "io.example.Nope"})


def test_unknown_runner_property_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="colour"):
        _task({"type": DOCKER_TYPE, "colour": "blue"})


def test_script_tasks_need_their_main_property() -> None:
    with pytest.raises(ValidationError, match="commands"):
        parse_task({"id": "t", "type": COMMANDS})
    with pytest.raises(ValidationError, match="script"):
        parse_task({"id": "t", "type": "io.kestra.plugin.scripts.python.Script"})
