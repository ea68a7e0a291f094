"""An object's YAML: what the editor shows, where the API server's field paths are."""

import pytest

from objects.yamltext import YamlError, diff, dump, line_of, parse, path_segments, shown

TEXT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: web
        image: web:1
      - name: side
        image: side:1
"""


def test_field_paths_land_on_their_lines():
    assert path_segments("spec.template.spec.containers[1].image") == [
        "spec", "template", "spec", "containers", 1, "image"
    ]  # fmt: skip
    assert line_of(TEXT, "spec.replicas") == 6
    assert line_of(TEXT, "spec.template.spec.containers[1].image") == 13
    assert line_of(TEXT, "spec.template.spec.containers[0]") == 10
    # A field the text lacks: its nearest ancestor that is there.
    assert line_of(TEXT, "spec.strategy.rollingUpdate") == 5
    assert line_of(TEXT, "spec.template.spec.containers[0].resources.limits") == 10
    assert line_of("not: [valid", "spec") is None


def test_what_the_editor_shows_and_what_it_takes():
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "managedFields": [{}]},
        "status": {},
    }
    assert shown(obj) == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}
    assert parse(dump(shown(obj))) == shown(obj)
    with pytest.raises(YamlError) as error:
        parse("kind: ConfigMap\nmetadata:\n  name: [a\n")
    assert error.value.line == 4 and "Not valid YAML" in str(error.value)
    with pytest.raises(YamlError, match="one object"):
        parse("a: 1\n---\nb: 2\n")
    with pytest.raises(YamlError, match="one object"):
        parse("- a\n- b\n")


def test_the_diff_leaves_out_what_the_server_moves_on_every_write():
    before = {"metadata": {"name": "a", "resourceVersion": "1", "generation": 1}, "data": {"MODE": "dev"}}
    after = {"metadata": {"name": "a", "resourceVersion": "2", "generation": 2}, "data": {"MODE": "prod"}}
    changes = diff(before, after)
    assert "-  MODE: dev" in changes and "+  MODE: prod" in changes and "resourceVersion" not in changes
    assert diff(before, {**before, "metadata": {**before["metadata"], "resourceVersion": "9"}}) == ""
