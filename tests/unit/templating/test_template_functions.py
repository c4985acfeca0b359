"""Template functions: render, secret, kv, read, fileURI, currentEachOutput, and the rest."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tercel.errors import SecretError, TemplateError
from tercel.templating import TemplateServices, render


class RecordingServices:
    """A small in-memory outside world: secrets, KV, files and error logs."""

    def __init__(self) -> None:
        self.secrets = {"SLACK_TOKEN": "xoxb-123"}
        self.masked: list[str] = []
        self.store: dict[tuple[str | None, str], Any] = {("company.team", "k"): {"a": 1}}
        self.files = {"kestra:///company/team/flow/executions/e1/out.txt": "hello"}

    def secret(self, name: str) -> str:
        if name not in self.secrets:
            raise SecretError(f"Cannot find secret for key '{name}'")
        self.masked.append(self.secrets[name])
        return self.secrets[name]

    def kv(self, namespace: str | None, key: str, error_on_missing: bool) -> Any:
        value = self.store.get((namespace or "company.team", key))
        if value is None and error_on_missing:
            raise TemplateError(f"The key '{key}' does not exist")
        return value

    def read(self, path_or_uri: str) -> str:
        return self.files[path_or_uri]

    def file_uri(self, path: str) -> str:
        return f"kestra:///x/_files/{path}"

    def file_size(self, uri: str) -> int:
        return len(self.files[uri])

    def file_exists(self, uri: str) -> bool:
        return uri in self.files

    def error_logs(self) -> list[dict[str, Any]]:
        return [{"taskId": "fail", "message": "boom"}]


SERVICES = RecordingServices()
CONTEXT: dict[str, Any] = {
    "flow": {"id": "flow", "namespace": "company.team"},
    "trigger": {"namespace": "data.engineering"},
    "namespace": {
        "slack": {
            "webhook": "https://hooks.slack/{{ secret('SLACK_TOKEN') }}/{{ trigger.namespace }}"
        }
    },
}


def r(template: str, **extra: Any) -> str:
    return render(template, {**CONTEXT, **extra}, services=SERVICES)


def test_services_protocol_is_satisfied_by_a_plain_class() -> None:
    assert isinstance(SERVICES, TemplateServices)


def test_render_renders_a_value_holding_expressions() -> None:
    assert (
        r("{{ render(namespace.slack.webhook) }}")
        == "https://hooks.slack/xoxb-123/data.engineering"
    )


def test_without_render_a_value_holding_expressions_prints_literally() -> None:
    assert r("{{ v }}", v="{{ x }}") == "{{ x }}"


def test_render_is_recursive_and_render_once_is_not() -> None:
    context = {"first": "{{ second }}", "second": "{{ third }}", "third": "end"}
    assert r("{{ render(first) }}", **context) == "end"
    assert r("{{ renderOnce(first) }}", **context) == "{{ third }}"
    assert r("{{ render(first, recursive=false) }}", **context) == "{{ third }}"


def test_render_keeps_raw_blocks_and_drops_their_tags() -> None:
    assert r("{{ render(v) }}", v="{% raw %}{{ kept }}{% endraw %}") == "{{ kept }}"


def test_render_of_a_map_renders_keys_and_values() -> None:
    value = {"{{ flow.id }}": "{{ flow.namespace }}"}
    assert r("{{ render(v) }}", v=value) == '{"flow":"company.team"}'


def test_render_of_null_and_numbers() -> None:
    assert r("[{{ render(null) }}]{{ render(3) }}") == "[]3"


def test_secret_is_returned_and_registered_for_masking() -> None:
    before = len(SERVICES.masked)
    assert r("{{ secret('SLACK_TOKEN') }}") == "xoxb-123"
    assert SERVICES.masked[before:] == ["xoxb-123"]


def test_missing_secret_is_an_error_naming_the_key() -> None:
    with pytest.raises(SecretError, match="NOPE"):
        r("{{ secret('NOPE') }}")


def test_secret_without_services_says_why() -> None:
    with pytest.raises(TemplateError, match="secret"):
        render("{{ secret('X') }}", {})


def test_kv_reads_the_flow_namespace_by_default() -> None:
    assert r("{{ kv('k').a }}") == "1"
    assert r("[{{ kv('missing', errorOnMissing=false) }}]") == "[]"
    with pytest.raises(TemplateError, match="missing"):
        r("{{ kv('missing') }}")


def test_read_and_file_functions() -> None:
    uri = "kestra:///company/team/flow/executions/e1/out.txt"
    assert r("{{ read(u) }}", u=uri) == "hello"
    assert r("{{ fileSize(u) }}", u=uri) == "5"
    assert r("{{ fileExists(u) }}{{ fileExists('nope') }}", u=uri) == "truefalse"
    assert r("{{ isFileEmpty(u) }}", u=uri) == "false"


def test_file_uri_points_into_the_namespace_files() -> None:
    assert r("{{ fileURI('scripts/a.py') }}") == "kestra:///company/team/_files/scripts/a.py"
    assert r("{{ fileURI('/a.py') }}") == "kestra:///company/team/_files/a.py"


def test_file_uri_refuses_parent_directories() -> None:
    with pytest.raises(TemplateError, match=r"\.\./"):
        r("{{ fileURI('../secret') }}")


def test_error_logs() -> None:
    assert r("{{ errorLogs()[0].message }}") == "boom"


def test_current_each_output_uses_taskrun_value_and_parents() -> None:
    outputs = {"outer": {"inner": {"value": "x"}}}
    template = "{{ currentEachOutput(o).value }}"
    parents = [{"taskrun": {"value": "outer"}}]
    assert r(template, o=outputs, taskrun={"value": "inner"}, parents=parents) == "x"


def test_from_json_and_yaml_and_ion() -> None:
    assert r("{{ fromJson('[1, 2, 3]')[0] }}") == "1"
    assert r("{{ json('{\"a\": 2}').a }}") == "2"
    assert r("[{{ fromJson(null) }}]") == "[]"
    assert r("{{ yaml('foo: [666, 1, 2]').foo[0] }}") == "666"
    assert r("{{ fromIon('{a:\"x\"}').a }}") == "x"


def test_invalid_json_is_an_error() -> None:
    with pytest.raises(TemplateError, match="Invalid json"):
        r("{{ fromJson('{') }}")


def test_max_min_range() -> None:
    assert r("{{ max(1, 5, 3) }}{{ min(4, 2) }}") == "52"
    assert r("{{ range(0, 8, 2) }}") == "[0,2,4,6,8]"
    assert r("{{ range(3, 1, -1) }}") == "[3,2,1]"
    assert r("{{ range('a', 'c') }}") == '["a","b","c"]'


def test_uuid_id_random_int() -> None:
    assert re.fullmatch(r"[0-9a-f-]{36}", r("{{ uuid() }}"))
    assert re.fullmatch(r"[0-9A-Za-z]{20,22}", r("{{ id() }}"))
    assert r("{{ randomInt(1, 2) }}") == "1"


def test_encrypt_then_decrypt_round_trips() -> None:
    key = "MTIzNDU2Nzg5MDEyMzQ1Ng=="
    assert r("{{ decrypt(k, encrypt(k, 'hi')) }}", k=key) == "hi"


def test_decrypt_with_a_wrong_key_is_an_error() -> None:
    other = "QUJDREVGR0hJSktMTU5PUA=="
    with pytest.raises(TemplateError):
        r("{{ decrypt(o, encrypt(k, 'hi')) }}", k="MTIzNDU2Nzg5MDEyMzQ1Ng==", o=other)


def test_print_context_shows_variables_not_functions() -> None:
    names = r("{{ printContext() | keys }}")
    assert '"flow"' in names
    assert '"render"' not in names


def test_tasks_with_state() -> None:
    tasks = {"a": {"state": "FAILED"}, "b": {"state": "SUCCESS"}, "c": {"v1": {"state": "FAILED"}}}
    assert r("{{ tasksWithState('failed') | length }}", tasks=tasks) == "2"


def test_unknown_function_is_an_error_naming_it() -> None:
    with pytest.raises(TemplateError, match="nope"):
        r("{{ nope() }}")


def test_functions_without_their_required_argument_fail() -> None:
    for template in ("{{ fromJson() }}", "{{ render() }}", "{{ renderOnce() }}", "{{ fromIon() }}"):
        with pytest.raises(TemplateError, match="expects an argument"):
            r(template)


def test_render_of_scalars_prints_them() -> None:
    assert r("{{ render(v) }}", v=42) == "42"
    assert r("{{ render(v) }}", v=True) == "true"
    assert r("[{{ render(v) }}]", v=None) == "[]"


def test_tasks_with_state_defaults_to_failed_and_lists_loop_values() -> None:
    tasks = {"a": {"state": "FAILED"}, "c": {"v1": {"state": "failed"}, "v2": {"state": "SUCCESS"}}}
    assert r("{{ tasksWithState() }}", tasks=tasks) == (
        '[{"taskId":"a","state":"FAILED"},{"taskId":"c","state":"FAILED","value":"v1"}]'
    )
    assert r("{{ tasksWithState(state='SUCCESS') is empty }}", tasks=tasks) == "false"
