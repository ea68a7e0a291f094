"""The deploy form: what it accepts and how it reads a command."""

from __future__ import annotations

from workloads.forms import DeployImageForm


def form(**data) -> DeployImageForm:
    values = {"name": "web", "image": "registry.local/berth/python:1", "replicas": "1", "env": ""}
    values.update(data)
    return DeployImageForm(values)


def test_a_command_is_split_as_a_shell_would():
    f = form(command="python3 -m http.server 8080")
    assert f.is_valid(), f.errors
    assert f.cleaned_data["command"] == ["python3", "-m", "http.server", "8080"]
    f = form(command="""sh -c 'echo "hello world"; sleep 1'""")
    assert f.is_valid(), f.errors
    assert f.cleaned_data["command"] == ["sh", "-c", 'echo "hello world"; sleep 1']


def test_no_command_keeps_the_images_own():
    f = form(command="   ")
    assert f.is_valid(), f.errors
    assert f.cleaned_data["command"] == []


def test_an_unbalanced_quote_is_refused_at_the_field():
    f = form(command="python3 -c 'print(1)")
    assert not f.is_valid()
    assert "cannot be read" in f.errors["command"][0]
