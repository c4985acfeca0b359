"""`tercel validate DIR` on a flows-as-code folder: flows, namespaces and environments."""

from __future__ import annotations

from ascode_helpers import Project, tercel

FLOW = """\
id: hello
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hi
"""


def test_a_valid_folder_passes_with_its_namespace_and_environment_files(
    project: Project,
) -> None:
    project.write("flows/hello.yml", FLOW)
    project.write(
        "namespaces/company.team.yml",
        """\
        description: Team
        variables: {a: 1}
        pluginDefaults:
          - type: io.kestra.plugin.core.log.Log
            values: {level: WARN}
        kv: {start: 2024-01-01}
        secrets: {TOKEN: "env:TOKEN", KEY: "file:secrets/key"}
        """,
    )
    project.write("files/company.team/a.sql", "select 1")
    project.write(
        "environments/prod.yml",
        """\
        server: https://tercel.example.org
        tenant: main
        managedNamespaces: [company]
        namespaces:
          company.team:
            variables: {a: 2}
        """,
    )
    result = tercel("validate", str(project.root))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_problem_of_namespace_and_environment_files_is_at_its_position(
    project: Project,
) -> None:
    project.write("flows/hello.yml", FLOW)
    project.write(
        "namespaces/company.team.yml",
        """\
        description: Team
        varables: {a: 1}
        pluginDefaults:
          - values: {level: WARN}
        kv:
          "bad key": 1
        secrets:
          TOKEN: plain-text-value
        """,
    )
    project.write("namespaces/Bad_Name.yml", "description: x\n")
    project.write(
        "environments/prod.yml",
        """\
        server: ftp://nope
        tenant: main
        managedNamespaces: company
        namespaces:
          company.team:
            variable: {a: 2}
        """,
    )
    result = tercel("validate", str(project.root))
    assert result.returncode == 1
    ns = f"{project.root}/namespaces/company.team.yml"
    env = f"{project.root}/environments/prod.yml"
    for expected in (
        f"{ns}:2:1: unknown property `varables`",
        f"{ns}:4:5: a plugin default needs a `type`",
        f"{ns}:6:3: invalid KV key 'bad key'",
        f"{ns}:8:10: secret `TOKEN` must say where its value comes from",
        f"{project.root}/namespaces/Bad_Name.yml:1:1: 'Bad_Name' is not a valid namespace",
        f"{env}:1:9: `server` must be an http(s) URL",
        f"{env}:3:20: `managedNamespaces` must be a list",
        f"{env}:6:5: unknown property `variable`",
    ):
        assert expected in result.stdout, result.stdout
