"""The repository's .s2i/bin scripts replace the builder image's, as s2i does."""

from __future__ import annotations

from builds.detect import Plan, dockerfile_for, plan_for


def _tree(root, files):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_run_script_is_what_the_image_runs(tmp_path):
    plan = plan_for(
        _tree(tmp_path, {"requirements.txt": "gunicorn\n", "wsgi.py": "", ".s2i/bin/run": "#!/bin/sh\n"})
    )
    assert plan.run.kind == "s2i-run" and plan.scripts == ["run"]
    assert plan.summary() == "will run: the repository's .s2i/bin/run"
    dockerfile = dockerfile_for(plan, builder_image="python:3")
    assert "COPY --chown=1001:0 .s2i/bin/ /tmp/scripts/" in dockerfile
    assert "RUN pip install -r requirements.txt" in dockerfile  # the default assemble, spelled out
    assert dockerfile.rstrip().endswith('CMD ["/tmp/scripts/run"]')
    assert Plan.from_dict(plan.to_dict()) == plan


def test_an_assemble_script_builds_from_tmp_src(tmp_path):
    files = {"requirements.txt": "gunicorn\n", "wsgi.py": "", ".s2i/bin/assemble": "#!/bin/sh\n"}
    plan = plan_for(_tree(tmp_path, files))
    assert plan.scripts == ["assemble"] and plan.run.kind == "gunicorn"
    assert "built by the repository's .s2i/bin/assemble" in plan.summary()
    dockerfile = dockerfile_for(plan, builder_image="python:3")
    assert "COPY --chown=1001:0 . /tmp/src/\nRUN /tmp/scripts/assemble\n" in dockerfile
    assert "pip install" not in dockerfile
    assert 'CMD ["gunicorn", "wsgi"' in dockerfile


def test_an_app_py_that_never_starts_a_server_is_warned_about(tmp_path):
    plan = plan_for(
        _tree(
            tmp_path,
            {"requirements.txt": "flask\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n"},
        )
    )
    assert plan.run.kind == "file"
    assert any(
        "defines an app but never starts a server" in w and "APP_MODULE=app:app" in w for w in plan.warnings
    )


def test_an_app_py_that_serves_is_not(tmp_path):
    for body in (
        "from flask import Flask\napp = Flask(__name__)\n"
        "if __name__ == '__main__':\n    app.run(port=8080)\n",
        "from wsgiref.simple_server import make_server\napplication = None\n"
        "make_server('', 8080, application).serve_forever()\n",
    ):
        plan = plan_for(_tree(tmp_path, {"app.py": body}))
        assert not any("never starts a server" in w for w in plan.warnings), body
