"""Source detection: what s2i-python-container's assemble and run would do with a tree."""

import json
import os

import pytest

from builds.detect import (
    DetectionError,
    Plan,
    dockerfile_for,
    dockerfiles_for,
    parse_s2i_environment,
    plan_for,
    why_not_incremental,
)

from .trees import (
    APP_SH,
    DJANGO_SETTINGS,
    DJANGO_WSGI,
    FLASK_APP_PY,
    FLASK_PACKAGE,
    FLASK_WSGI,
    MANAGE_PY,
    PIPFILE_LOCK_DJANGO,
    django_project,
    write_tree,
)


def expected(
    *,
    tool,
    kind,
    target,
    app=False,
    collectstatic=False,
    migrate=False,
    cwd=".",
    port=8080,
    env=None,
    warnings=(),
    files=None,
):
    install = {"tool": tool, "app": app}
    # pip with a plain requirements.txt: its dependencies can be installed apart (incremental)
    files = ["requirements.txt"] if files is None and tool == "pip" else files
    if files:
        install["files"] = files
    return {
        "install": install,
        "collectstatic": collectstatic,
        "migrate": migrate,
        "run": {"kind": kind, "target": target, "cwd": cwd, "port": port},
        "env": env or {},
        "warnings": list(warnings),
    }


def detect(root, env=None) -> dict:
    plan = plan_for(root, env=env)
    data = plan.to_dict()
    assert json.loads(json.dumps(data)) == data  # plain JSON all the way down
    return data


NOTHING_TO_RUN = (
    "Nothing to run: add an app.py or app.sh, a wsgi.py with gunicorn in requirements.txt, or Django "
    "with manage.py; or set APP_MODULE, APP_FILE or APP_SCRIPT in .s2i/environment"
)


# --- Django --------------------------------------------------------------------------


def test_django_with_gunicorn_and_app_module_is_served_by_gunicorn(tmp_path):
    write_tree(
        tmp_path,
        {
            **django_project(),
            "requirements.txt": "Django==5.0.6\ngunicorn==22.0.0\npsycopg[binary]==3.1.19\n",
            ".s2i/environment": "APP_MODULE=mysite.wsgi\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pip",
        collectstatic=True,
        migrate=True,
        kind="gunicorn",
        target="mysite.wsgi",
        env={"APP_MODULE": "mysite.wsgi"},
    )


def test_django_with_gunicorn_but_no_wsgi_entry_point_falls_back_to_runserver_and_says_why(tmp_path):
    # startproject puts wsgi.py in mysite/, where the run script does not look.
    write_tree(tmp_path, {**django_project(), "requirements.txt": "Django==5.0.6\ngunicorn==22.0.0\n"})

    assert detect(tmp_path) == expected(
        tool="pip",
        collectstatic=True,
        migrate=True,
        kind="django-runserver",
        target="manage.py",
        warnings=[
            "gunicorn is installed but APP_MODULE is not set and there is no wsgi.py in the source root, "
            "so Django's development server will be used; set APP_MODULE=mysite.wsgi to serve with gunicorn"
        ],
    )


def test_django_without_gunicorn_runs_the_development_server(tmp_path):
    write_tree(tmp_path, {**django_project(), "requirements.txt": "Django>=4.2,<5.1  # LTS\n"})

    assert detect(tmp_path) == expected(
        tool="pip", collectstatic=True, migrate=True, kind="django-runserver", target="manage.py"
    )


def test_disable_flags_turn_off_collectstatic_and_migrate(tmp_path):
    write_tree(
        tmp_path,
        {
            **django_project(),
            "wsgi.py": DJANGO_WSGI,
            "requirements.txt": "django\ngunicorn\n",
            ".s2i/environment": "DISABLE_COLLECTSTATIC=1\nDISABLE_MIGRATE=true\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pip",
        kind="gunicorn",
        target="wsgi",
        env={"DISABLE_COLLECTSTATIC": "1", "DISABLE_MIGRATE": "true"},
    )


def test_django_installed_without_manage_py_skips_collectstatic_and_migrate(tmp_path):
    write_tree(tmp_path, {"wsgi.py": DJANGO_WSGI, "requirements.txt": "Django\ngunicorn\n"})

    assert detect(tmp_path) == expected(
        tool="pip",
        kind="gunicorn",
        target="wsgi",
        warnings=[
            "Django is installed but there is no manage.py in the source root: "
            "collectstatic and migrate are skipped"
        ],
    )


def test_manage_py_without_django_in_the_dependencies_is_called_out(tmp_path):
    # wagtail brings Django in, but nothing Berth reads says so.
    write_tree(tmp_path, {**django_project(), "requirements.txt": "wagtail==6.1\n"})

    assert detect(tmp_path) == expected(
        tool="pip",
        kind="none",
        target=None,
        warnings=[
            "manage.py found but Django is not listed in any dependency file Berth reads; if Django "
            "only comes in indirectly, list it in requirements.txt so collectstatic, migrate and "
            "runserver are used",
            NOTHING_TO_RUN,
        ],
    )


# --- Flask and plain Python entry points ----------------------------------------------


def test_flask_with_wsgi_py_is_served_by_gunicorn_module_wsgi(tmp_path):
    write_tree(
        tmp_path,
        {**FLASK_PACKAGE, "wsgi.py": FLASK_WSGI, "requirements.txt": "Flask==3.0.3\ngunicorn==22.0.0\n"},
    )

    assert detect(tmp_path) == expected(tool="pip", kind="gunicorn", target="wsgi")


def test_app_py_is_run_with_python(tmp_path):
    write_tree(tmp_path, {"app.py": FLASK_APP_PY, "requirements.txt": "Flask==3.0.3\n"})

    assert detect(tmp_path) == expected(tool="pip", kind="file", target="app.py")


def test_app_py_comes_before_gunicorn_and_wsgi_py(tmp_path):
    write_tree(
        tmp_path,
        {"app.py": FLASK_APP_PY, "wsgi.py": FLASK_WSGI, "requirements.txt": "Flask\ngunicorn\n"},
    )

    assert detect(tmp_path) == expected(tool="pip", kind="file", target="app.py")


def test_app_module_stops_app_py_from_being_run_as_a_script(tmp_path):
    write_tree(
        tmp_path,
        {
            "app.py": FLASK_APP_PY,
            "requirements.txt": "Flask\ngunicorn\n",
            ".s2i/environment": "APP_MODULE=app:application\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pip", kind="gunicorn", target="app:application", env={"APP_MODULE": "app:application"}
    )


def test_app_sh_comes_before_app_py(tmp_path):
    write_tree(
        tmp_path,
        {**FLASK_PACKAGE, "app.sh": APP_SH, "app.py": FLASK_APP_PY, "requirements.txt": "Flask\nwaitress\n"},
    )

    assert detect(tmp_path) == expected(tool="pip", kind="script", target="app.sh")


def test_app_script_and_app_file_name_other_files(tmp_path):
    write_tree(
        tmp_path,
        {"bin/start.sh": APP_SH, "serve.py": FLASK_APP_PY, "requirements.txt": "Flask\n"},
    )

    assert detect(tmp_path, env={"APP_FILE": "serve.py"}) == expected(
        tool="pip", kind="file", target="serve.py", env={"APP_FILE": "serve.py"}
    )
    assert detect(tmp_path, env={"APP_SCRIPT": "bin/start.sh", "APP_FILE": "serve.py"}) == expected(
        tool="pip",
        kind="script",
        target="bin/start.sh",
        env={"APP_FILE": "serve.py", "APP_SCRIPT": "bin/start.sh"},
    )


def test_an_app_file_that_does_not_exist_is_an_error(tmp_path):
    write_tree(tmp_path, {"app.py": FLASK_APP_PY, ".s2i/environment": "APP_FILE=server.py\n"})

    with pytest.raises(DetectionError) as error:
        plan_for(tmp_path)

    assert str(error.value) == (
        "APP_FILE=server.py (from .s2i/environment) but there is no such file in the source root"
    )


# --- gunicorn.conf.py ---------------------------------------------------------------


def test_gunicorn_conf_with_wsgi_app_comes_first(tmp_path):
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            "app.py": FLASK_APP_PY,
            "gunicorn.conf.py": """
                wsgi_app = "hello:create_app()"
                bind = "0.0.0.0:8000"
                workers = 2
                accesslog = "-"
            """,
            "requirements.txt": "Flask==3.0.3\ngunicorn==22.0.0\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pip", kind="gunicorn-config", target="gunicorn.conf.py", port=8000
    )


def test_gunicorn_conf_without_bind_listens_on_localhost_unless_port_is_set(tmp_path):
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            "gunicorn.conf.py": 'wsgi_app = "hello:create_app()"\n',
            "requirements.txt": "Flask\ngunicorn>=21\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pip",
        kind="gunicorn-config",
        target="gunicorn.conf.py",
        port=8000,
        warnings=[
            "gunicorn gets no bind address, so it listens on 127.0.0.1:8000, which is unreachable from "
            'outside the container; set bind = "0.0.0.0:8080" in the gunicorn config or set PORT'
        ],
    )
    assert detect(tmp_path, env={"PORT": "9000"}) == expected(
        tool="pip", kind="gunicorn-config", target="gunicorn.conf.py", port=9000, env={"PORT": "9000"}
    )


def test_gunicorn_conf_without_wsgi_app_only_configures_gunicorn(tmp_path):
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            "wsgi.py": FLASK_WSGI,
            "gunicorn.conf.py": "workers = 4\nbind = '0.0.0.0:9999'\n",
            "requirements.txt": "Flask\ngunicorn\n",
        },
    )

    # The script's default settings pass --bind=0.0.0.0:$PORT, which beats the file.
    assert detect(tmp_path) == expected(tool="pip", kind="gunicorn", target="wsgi")


def test_gunicorn_older_than_20_1_does_not_read_wsgi_app(tmp_path):
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            "wsgi.py": FLASK_WSGI,
            "gunicorn.conf.py": 'wsgi_app = "wsgi:application"\n',
            "requirements.txt": "Flask\ngunicorn==19.9.0\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pip",
        kind="gunicorn",
        target="wsgi",
        warnings=[
            "gunicorn.conf.py sets wsgi_app, but the pinned gunicorn is older than 20.1, which ignores "
            "it there; the file is not used to start the app"
        ],
    )


def test_app_config_takes_the_bind_from_the_config_file(tmp_path):
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            "wsgi.py": FLASK_WSGI,
            "config/gunicorn_prod.py": 'bind = ["0.0.0.0:" + "8443"]\nworkers = 3\n',
            "requirements.txt": "Flask\ngunicorn\n",
            ".s2i/environment": "APP_CONFIG=config/gunicorn_prod.py\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pip", kind="gunicorn", target="wsgi", port=8443, env={"APP_CONFIG": "config/gunicorn_prod.py"}
    )


# --- setup.py, setup.cfg, pyproject.toml ----------------------------------------------------


SETUP_PY = """
    from setuptools import find_packages, setup

    setup(
        name="hello",
        version="1.0.0",
        packages=find_packages(),
        install_requires=["Flask>=3", "gunicorn"],
    )
"""


def test_setup_py_installs_the_app_and_names_the_gunicorn_module(tmp_path):
    write_tree(tmp_path, {**FLASK_PACKAGE, "setup.py": SETUP_PY})

    assert detect(tmp_path) == expected(tool=None, app=True, kind="gunicorn", target="hello")


def test_setup_py_install_requires_read_from_a_requirements_file_without_running_it(tmp_path):
    write_tree(
        tmp_path,
        {
            "shop/__init__.py": "",
            "requirements/prod.txt": "Flask\ngunicorn==22.0.0\n",
            "setup.py": """
                from pathlib import Path

                from setuptools import setup

                NAME = "shop"


                def requirements():
                    return Path("requirements/prod.txt").read_text().splitlines()


                setup(name=NAME, packages=[NAME], install_requires=requirements())
            """,
        },
    )

    assert detect(tmp_path) == expected(tool=None, app=True, kind="gunicorn", target="shop")


def test_setup_py_is_never_executed(tmp_path):
    marker = tmp_path / "executed"
    write_tree(
        tmp_path,
        {
            "setup.py": f"""
                open({str(marker)!r}, "w").close()
                from setuptools import setup
                setup(name="app", install_requires=["gunicorn"])
            """,
            "app/__init__.py": "",
        },
    )

    assert detect(tmp_path)["run"] == {"kind": "gunicorn", "target": "app", "cwd": ".", "port": 8080}
    assert not marker.exists()


SETUP_CFG = """
    [metadata]
    name = blog
    version = 2.1

    [options]
    packages = find:
    install_requires =
        falcon>=3.1
        gunicorn
"""


def test_setup_cfg_with_a_setup_py_shim(tmp_path):
    write_tree(
        tmp_path,
        {
            "blog/__init__.py": "",
            "setup.cfg": SETUP_CFG,
            "setup.py": "import setuptools\n\nsetuptools.setup()\n",
        },
    )

    assert detect(tmp_path) == expected(tool=None, app=True, kind="gunicorn", target="blog")


def test_disable_setup_py_processing_skips_the_app_install(tmp_path):
    write_tree(
        tmp_path,
        {
            "blog/__init__.py": "",
            "setup.cfg": SETUP_CFG,
            "setup.py": "import setuptools\nsetuptools.setup()\n",
            ".s2i/environment": "DISABLE_SETUP_PY_PROCESSING=1\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool=None,
        kind="none",
        target=None,
        env={"DISABLE_SETUP_PY_PROCESSING": "1"},
        warnings=[NOTHING_TO_RUN],
    )


def test_editable_install_from_requirements_with_setup_py_processing_disabled(tmp_path):
    # The README's case for DISABLE_SETUP_PY_PROCESSING: requirements.txt has "-e .".
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            "setup.py": SETUP_PY,
            "requirements.txt": "-e .\n",
            ".s2i/environment": "DISABLE_SETUP_PY_PROCESSING=yes\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pip",
        kind="gunicorn",
        target="hello",
        env={"DISABLE_SETUP_PY_PROCESSING": "yes"},
        files=[],  # "-e ." installs the tree itself: nothing to install apart from it
    )


PYPROJECT_PEP621 = """
    [build-system]
    requires = ["setuptools>=69"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "notes"
    version = "0.3.0"
    requires-python = ">=3.11"
    dependencies = [
        "Flask>=3.0",
        "gunicorn>=22; sys_platform != 'win32'",
    ]

    [project.optional-dependencies]
    dev = ["pytest"]
"""


def test_pyproject_pep_621_dependencies(tmp_path):
    write_tree(tmp_path, {**FLASK_PACKAGE, "wsgi.py": FLASK_WSGI, "pyproject.toml": PYPROJECT_PEP621})

    assert detect(tmp_path) == expected(tool=None, app=True, kind="gunicorn", target="wsgi")


def test_pyproject_name_is_not_a_gunicorn_module(tmp_path):
    # Only a setup.py name is used for APP_MODULE; pyproject-only projects need wsgi.py or APP_MODULE.
    write_tree(tmp_path, {**FLASK_PACKAGE, "pyproject.toml": PYPROJECT_PEP621})

    assert detect(tmp_path) == expected(
        tool=None, app=True, kind="none", target=None, warnings=[NOTHING_TO_RUN]
    )


def test_poetry_dependencies(tmp_path):
    write_tree(
        tmp_path,
        {
            **django_project(),
            "pyproject.toml": """
                [tool.poetry]
                name = "mysite"
                version = "0.1.0"
                description = ""
                authors = ["Ada <ada@example.com>"]
                packages = [{ include = "mysite" }]

                [tool.poetry.dependencies]
                python = "^3.11"
                Django = "^5.0"
                whitenoise = { version = "^6.6", extras = ["brotli"] }
                sentry-sdk = { version = "^2", optional = true }

                [tool.poetry.group.dev.dependencies]
                gunicorn = "^22"

                [build-system]
                requires = ["poetry-core"]
                build-backend = "poetry.core.masonry.api"
            """,
        },
    )

    # gunicorn is a dev dependency here, so `pip install .` does not bring it.
    assert detect(tmp_path) == expected(
        tool=None, app=True, collectstatic=True, migrate=True, kind="django-runserver", target="manage.py"
    )


def test_pyproject_that_only_configures_tools_is_still_pip_installed(tmp_path):
    write_tree(
        tmp_path,
        {
            "app.py": FLASK_APP_PY,
            "requirements.txt": "Flask\n",
            "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pip",
        app=True,
        kind="file",
        target="app.py",
        warnings=[
            "pyproject.toml has no [project] or [tool.poetry] table, yet s2i runs 'pip install .' for it; "
            "set DISABLE_PYPROJECT_TOML_PROCESSING=1 if it only configures tools"
        ],
    )
    assert detect(tmp_path, env={"DISABLE_PYPROJECT_TOML_PROCESSING": "1"}) == expected(
        tool="pip", kind="file", target="app.py", env={"DISABLE_PYPROJECT_TOML_PROCESSING": "1"}
    )


# --- Pipfile: pipenv and micropipenv ------------------------------------------------------


PIPFILE = """
    [[source]]
    url = "https://pypi.org/simple"
    verify_ssl = true
    name = "pypi"

    [packages]
    flask = "*"
    gunicorn = "==22.0.0"

    [dev-packages]
    django = "*"

    [requires]
    python_version = "3.11"
"""


def test_pipfile_with_pipenv(tmp_path):
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            **django_project(),
            "wsgi.py": FLASK_WSGI,
            "Pipfile": PIPFILE,
            ".s2i/environment": "ENABLE_PIPENV=1\nPIN_PIPENV_VERSION=2023.12.1\n",
        },
    )

    # Django is only a dev package: `pipenv install --deploy` leaves it out.
    assert detect(tmp_path) == expected(
        tool="pipenv",
        kind="gunicorn",
        target="wsgi",
        env={"ENABLE_PIPENV": "1", "PIN_PIPENV_VERSION": "2023.12.1"},
        warnings=[
            "manage.py found but Django is not listed in any dependency file Berth reads; if Django "
            "only comes in indirectly, list it in requirements.txt so collectstatic, migrate and "
            "runserver are used"
        ],
    )


def test_pipenv_falls_back_to_requirements_txt(tmp_path):
    write_tree(tmp_path, {"app.py": FLASK_APP_PY, "requirements.txt": "Flask\n"})

    assert detect(tmp_path, env={"ENABLE_PIPENV": "1"}) == expected(
        tool="pipenv", kind="file", target="app.py", env={"ENABLE_PIPENV": "1"}
    )


def test_pipfile_lock_with_micropipenv(tmp_path):
    write_tree(
        tmp_path,
        {
            **django_project(),
            "Pipfile": '[packages]\ndjango = "*"\ngunicorn = "*"\n',
            "Pipfile.lock": PIPFILE_LOCK_DJANGO,
        },
    )

    assert detect(tmp_path, env={"ENABLE_MICROPIPENV": "1", "APP_MODULE": "mysite.wsgi"}) == expected(
        tool="micropipenv",
        collectstatic=True,
        migrate=True,
        kind="gunicorn",
        target="mysite.wsgi",
        env={"APP_MODULE": "mysite.wsgi", "ENABLE_MICROPIPENV": "1"},
    )


def test_micropipenv_with_poetry_lock(tmp_path):
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            "wsgi.py": FLASK_WSGI,
            "pyproject.toml": """
                [tool.poetry]
                name = "hello"
                version = "1.0.0"

                [tool.poetry.dependencies]
                python = "^3.11"
                flask = "^3.0"
                gunicorn = "^22.0"
            """,
            "poetry.lock": """
                [[package]]
                name = "flask"
                version = "3.0.3"
                category = "main"

                [[package]]
                name = "gunicorn"
                version = "22.0.0"
                category = "main"

                [metadata]
                content-hash = "abc"
                python-versions = "^3.11"
            """,
            ".s2i/environment": "ENABLE_MICROPIPENV=1\nDISABLE_PYPROJECT_TOML_PROCESSING=1\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="micropipenv",
        kind="gunicorn",
        target="wsgi",
        env={"DISABLE_PYPROJECT_TOML_PROCESSING": "1", "ENABLE_MICROPIPENV": "1"},
    )


def test_micropipenv_with_a_modern_poetry_lock_leaves_dev_groups_out(tmp_path):
    # Poetry >= 1.5 locks carry no per-package category; the groups in pyproject.toml decide.
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            "wsgi.py": FLASK_WSGI,
            "pyproject.toml": """
                [tool.poetry]
                name = "hello"
                version = "1.0.0"

                [tool.poetry.dependencies]
                python = "^3.11"
                flask = "^3.0"

                [tool.poetry.group.dev.dependencies]
                gunicorn = "^22.0"
            """,
            "poetry.lock": """
                [[package]]
                name = "flask"
                version = "3.0.3"

                [[package]]
                name = "gunicorn"
                version = "22.0.0"

                [metadata]
                lock-version = "2.0"
                content-hash = "abc"
            """,
        },
    )

    assert detect(
        tmp_path, env={"ENABLE_MICROPIPENV": "1", "DISABLE_PYPROJECT_TOML_PROCESSING": "1"}
    ) == expected(
        tool="micropipenv",
        kind="none",
        target=None,
        env={"DISABLE_PYPROJECT_TOML_PROCESSING": "1", "ENABLE_MICROPIPENV": "1"},
        warnings=[
            "Nothing to run: wsgi.py found but gunicorn is not installed; add gunicorn to requirements.txt "
            "(or set APP_FILE / APP_SCRIPT)"
        ],
    )


def test_micropipenv_needs_a_lock_file(tmp_path):
    write_tree(tmp_path, {"app.py": FLASK_APP_PY, "Pipfile": PIPFILE})

    assert detect(tmp_path, env={"ENABLE_MICROPIPENV": "on"}) == expected(
        tool="micropipenv",
        kind="file",
        target="app.py",
        env={"ENABLE_MICROPIPENV": "on"},
        warnings=[
            "ENABLE_MICROPIPENV is set but there is no Pipfile.lock, poetry.lock or requirements.txt; "
            "micropipenv needs one of them (a Pipfile alone is not enough: lock it with 'pipenv lock')"
        ],
    )


def test_pipfile_is_ignored_without_enable_pipenv(tmp_path):
    write_tree(tmp_path, {**FLASK_PACKAGE, "wsgi.py": FLASK_WSGI, "Pipfile": PIPFILE})

    assert detect(tmp_path) == expected(
        tool=None,
        kind="none",
        target=None,
        warnings=[
            "Pipfile found but neither ENABLE_PIPENV nor ENABLE_MICROPIPENV is set, so it is ignored "
            "and no dependencies are installed",
            "Nothing to run: wsgi.py found but gunicorn is not installed; add gunicorn to requirements.txt "
            "(or set APP_FILE / APP_SCRIPT)",
        ],
    )


def test_pipfile_local_path_entry_brings_its_own_dependencies(tmp_path):
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            "wsgi.py": FLASK_WSGI,
            "Pipfile": """
                [packages]
                flask = "*"
                shared = { path = "./libs/shared", editable = true }
            """,
            "libs/shared/setup.py": """
                from setuptools import setup

                setup(name="shared", install_requires=["gunicorn==22.0.0", "structlog"])
            """,
            ".s2i/environment": "ENABLE_PIPENV=1\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pipenv", kind="gunicorn", target="wsgi", env={"ENABLE_PIPENV": "1"}
    )


def test_pipenv_and_micropipenv_together_is_an_error(tmp_path):
    write_tree(
        tmp_path, {"app.py": FLASK_APP_PY, "Pipfile": PIPFILE, ".s2i/environment": "ENABLE_PIPENV=1\n"}
    )

    with pytest.raises(DetectionError) as error:
        plan_for(tmp_path, env={"ENABLE_MICROPIPENV": "1"})

    assert str(error.value) == (
        "Pipenv and micropipenv cannot be enabled at the same time: ENABLE_PIPENV is set in "
        ".s2i/environment and ENABLE_MICROPIPENV in the build config. Keep one of them."
    )


def test_a_flag_set_to_false_is_still_on(tmp_path):
    write_tree(tmp_path, {"app.py": FLASK_APP_PY, "requirements.txt": "Flask\n"})

    assert detect(tmp_path, env={"ENABLE_PIPENV": "false"}) == expected(
        tool="pipenv",
        kind="file",
        target="app.py",
        env={"ENABLE_PIPENV": "false"},
        warnings=[
            "ENABLE_PIPENV=false (from the build config) still counts as set: s2i only checks that the "
            "value is non-empty. Remove it to turn the option off."
        ],
    )


# --- requirements files -------------------------------------------------------------------


def test_requirements_includes_urls_hashes_and_markers(tmp_path):
    write_tree(
        tmp_path,
        {
            **django_project(),
            "wsgi.py": DJANGO_WSGI,
            "requirements.txt": """
                # production
                --index-url https://pypi.example.com/simple
                -r requirements/base.txt
                --constraint constraints.txt
                git+https://github.com/benoitc/gunicorn.git@22.0.0#egg=gunicorn
            """,
            "requirements/base.txt": """
                Django==5.0.6 \\
                    --hash=sha256:8363ac062bb4ef7c3f12d078f6fa5d154031d129a15170a1066412af49d30905
                whitenoise[brotli]>=6.6 ; python_version >= "3.8"
            """,
            "constraints.txt": "uvicorn==0.30.0\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool="pip",
        collectstatic=True,
        migrate=True,
        kind="gunicorn",
        target="wsgi",
        files=["requirements.txt", "requirements/base.txt", "constraints.txt"],
    )


def test_constraints_install_nothing(tmp_path):
    write_tree(
        tmp_path,
        {
            "wsgi.py": FLASK_WSGI,
            "requirements.txt": "Flask\n-c constraints.txt\n",
            "constraints.txt": "gunicorn\n",
        },
    )

    assert detect(tmp_path)["run"]["kind"] == "none"


def test_files_outside_the_tree_are_not_read(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("gunicorn\n")
    source = write_tree(tmp_path / "src", {"wsgi.py": FLASK_WSGI})
    os.symlink(outside, source / "requirements.txt")

    assert detect(source) == expected(
        tool="pip",
        kind="none",
        target=None,
        files=[],
        warnings=[
            "Nothing to run: wsgi.py found but gunicorn is not installed; add gunicorn to requirements.txt "
            "(or set APP_FILE / APP_SCRIPT)",
            "requirements.txt points outside the source tree and was not read",
        ],
    )


# --- .s2i/environment and the build config's environment ---------------------------------------


def test_s2i_environment_quoted_values_and_build_config_override(tmp_path):
    write_tree(
        tmp_path,
        {
            **django_project(),
            "requirements.txt": "Django\ngunicorn\n",
            ".s2i/environment": """
                # s2i settings for production

                APP_MODULE="mysite.wsgi:application"
                DISABLE_COLLECTSTATIC='1'
                PORT=8000
                WEB_CONCURRENCY="3"   # two cores
            """,
        },
    )

    assert detect(tmp_path, env={"PORT": "9090", "DJANGO_SETTINGS_MODULE": "mysite.settings"}) == expected(
        tool="pip",
        migrate=True,
        kind="gunicorn",
        target="mysite.wsgi:application",
        port=9090,
        env={
            "APP_MODULE": "mysite.wsgi:application",
            "DISABLE_COLLECTSTATIC": "1",
            "DJANGO_SETTINGS_MODULE": "mysite.settings",
            "PORT": "9090",
            "WEB_CONCURRENCY": "3",
        },
    )


def test_parse_s2i_environment():
    env, warnings = parse_s2i_environment(
        "\n".join(
            [
                "# comment",
                "",
                "PLAIN=value with spaces",
                'DOUBLE="a \\"quoted\\" word"',
                "SINGLE='it''s'",
                "EMPTY=",
                "EQUALS=postgres://u:p@db/app?sslmode=require",
                "URL=https://example.com/#anchor",
                "INLINE=1 # not stripped",
                "export SHELLY=1",
                "UNCLOSED='open",
            ]
        )
    )

    assert env == {
        "PLAIN": "value with spaces",
        "DOUBLE": 'a "quoted" word',
        "SINGLE": "'it''s'",
        "EMPTY": "",
        "EQUALS": "postgres://u:p@db/app?sslmode=require",
        "URL": "https://example.com/#anchor",
        "INLINE": "1 # not stripped",
        "UNCLOSED": "'open",
    }
    assert warnings == [
        ".s2i/environment line 5: unexpected text after the closing quote; the value is kept as written: "
        "\"'it''s'\"",
        ".s2i/environment line 9: the value '1 # not stripped' keeps its '#' text; s2i does not strip inline "
        "comments (quote the value and put the comment after the closing quote)",
        ".s2i/environment line 10 is not KEY=value and was ignored: 'export SHELLY=1'",
        '.s2i/environment line 11: the quote is never closed; the value is kept as written: "\'open"',
    ]


def test_upgrade_pip_and_index_url_are_carried_in_the_environment(tmp_path):
    write_tree(
        tmp_path,
        {
            "app.py": FLASK_APP_PY,
            "requirements.txt": "Flask\n",
            ".s2i/environment": "UPGRADE_PIP_TO_LATEST=1\nPIP_INDEX_URL=https://pypi.internal/simple\n",
        },
    )

    plan = plan_for(tmp_path)

    assert plan.to_dict() == expected(
        tool="pip",
        kind="file",
        target="app.py",
        env={"PIP_INDEX_URL": "https://pypi.internal/simple", "UPGRADE_PIP_TO_LATEST": "1"},
    )
    assert dockerfile_for(plan, builder_image="quay.io/sclorg/python-312-c9s:c9s") == (
        "# Generated by Berth from the detected build plan (builds/detect.py); do not edit.\n"
        "FROM quay.io/sclorg/python-312-c9s:c9s\n"
        "USER 1001\n"
        'ENV PIP_INDEX_URL="https://pypi.internal/simple" \\\n'
        '    UPGRADE_PIP_TO_LATEST="1"\n'
        "WORKDIR /opt/app-root/src\n"
        "COPY --chown=1001:0 . /opt/app-root/src/\n"
        "RUN pip install -U pip setuptools wheel\n"
        "RUN pip install -r requirements.txt\n"
        "EXPOSE 8080\n"
        'CMD ["python", "app.py"]\n'
    )


# --- APP_HOME and PORT ----------------------------------------------------------------------------


@pytest.mark.parametrize("app_home", ["src", "./src/", "/opt/app-root/src/src"])
def test_app_home_is_where_the_app_is_looked_for_and_run(tmp_path, app_home):
    write_tree(
        tmp_path,
        {
            **django_project(prefix="src/"),
            "src/wsgi.py": DJANGO_WSGI,
            "requirements.txt": "Django==5.0.6\ngunicorn==22.0.0\n",
        },
    )

    assert detect(tmp_path, env={"APP_HOME": app_home}) == expected(
        tool="pip",
        collectstatic=True,
        migrate=True,
        kind="gunicorn",
        target="wsgi",
        cwd="src",
        env={"APP_HOME": app_home},
    )


def test_app_home_without_the_app_in_it(tmp_path):
    write_tree(tmp_path, {**django_project(), "requirements.txt": "Django\n", "docs/index.md": "# Docs\n"})

    assert detect(tmp_path, env={"APP_HOME": "docs"}) == expected(
        tool="pip",
        kind="none",
        target=None,
        cwd="docs",
        env={"APP_HOME": "docs"},
        warnings=[
            "Django is installed but there is no manage.py in docs/ (APP_HOME): collectstatic and "
            "migrate are skipped",
            "Nothing to run in docs/: add an app.py or app.sh, a wsgi.py with gunicorn in requirements.txt, "
            "or Django with manage.py; or set APP_MODULE, APP_FILE or APP_SCRIPT in .s2i/environment",
        ],
    )


@pytest.mark.parametrize(
    ("app_home", "message"),
    [
        ("web", "APP_HOME=web is not a directory in the source tree"),
        ("../other", "APP_HOME=../other leaves the source tree; give a directory inside it"),
        ("/srv/app", "APP_HOME=/srv/app is outside the application source (/opt/app-root/src)"),
        ("my app", "APP_HOME=my app: use letters, digits, '.', '_' and '-' in directory names"),
    ],
)
def test_bad_app_home(tmp_path, app_home, message):
    write_tree(tmp_path, {"app.py": FLASK_APP_PY})

    with pytest.raises(DetectionError) as error:
        plan_for(tmp_path, env={"APP_HOME": app_home})

    assert str(error.value) == message


def test_port_changes_the_runserver_port(tmp_path):
    write_tree(
        tmp_path, {**django_project(), "requirements.txt": "Django\n", ".s2i/environment": "PORT=8000\n"}
    )

    assert detect(tmp_path) == expected(
        tool="pip",
        collectstatic=True,
        migrate=True,
        kind="django-runserver",
        target="manage.py",
        port=8000,
        env={"PORT": "8000"},
    )


@pytest.mark.parametrize("port", ["http", "0", "70000", "80 80"])
def test_bad_port(tmp_path, port):
    write_tree(tmp_path, {"app.py": FLASK_APP_PY})

    with pytest.raises(DetectionError, match=r"is not a TCP port number"):
        plan_for(tmp_path, env={"PORT": port})


# --- nothing runnable and bad input --------------------------------------------------------


def test_nothing_runnable_says_what_to_add(tmp_path):
    write_tree(tmp_path, {"README.md": "# Tools\n", "requirements.txt": "requests\n", "tools/sync.py": ""})

    assert detect(tmp_path) == expected(tool="pip", kind="none", target=None, warnings=[NOTHING_TO_RUN])


def test_an_empty_tree_is_not_runnable(tmp_path):
    assert detect(tmp_path) == expected(tool=None, kind="none", target=None, warnings=[NOTHING_TO_RUN])


def test_a_path_that_is_not_a_directory(tmp_path):
    with pytest.raises(DetectionError, match=r"is not a directory"):
        plan_for(tmp_path / "missing")


def test_broken_dependency_files_are_warnings_not_crashes(tmp_path):
    write_tree(
        tmp_path,
        {
            "app.py": FLASK_APP_PY,
            "setup.py": "from setuptools import setup\nsetup(name='x',\n",
            "pyproject.toml": "[project\nname = 'x'\n",
        },
    )

    assert detect(tmp_path) == expected(
        tool=None,
        app=True,
        kind="file",
        target="app.py",
        warnings=[
            "pyproject.toml is not valid TOML (Expected ']' at the end of a table declaration (at line 1, "
            "column 9)); the build will probably fail",
            "setup.py could not be parsed as Python; its name and install_requires are unknown",
        ],
    )


# --- summary, round trip and Dockerfile --------------------------------------------------------


@pytest.mark.parametrize(
    ("run", "migrate", "summary"),
    [
        (
            {"kind": "gunicorn", "target": "wsgi", "cwd": ".", "port": 8080},
            True,
            "will run: gunicorn wsgi, migrate on start",
        ),
        (
            {"kind": "gunicorn", "target": "wsgi", "cwd": "src", "port": 8080},
            False,
            "will run: gunicorn wsgi in src/",
        ),
        (
            {"kind": "gunicorn-config", "target": "gunicorn.conf.py", "cwd": ".", "port": 8000},
            False,
            "will run: gunicorn (from gunicorn.conf.py)",
        ),
        ({"kind": "script", "target": "app.sh", "cwd": ".", "port": 8080}, False, "will run: script app.sh"),
        ({"kind": "file", "target": "app.py", "cwd": ".", "port": 8080}, False, "will run: python app.py"),
        (
            {"kind": "django-runserver", "target": "manage.py", "cwd": ".", "port": 8080},
            True,
            "will run: Django runserver (development server), migrate on start",
        ),
        (
            {"kind": "none", "target": None, "cwd": ".", "port": 8080},
            False,
            "will run: nothing (no way to start the app was found)",
        ),
    ],
)
def test_summary(run, migrate, summary):
    plan = Plan.from_dict(
        {"install": {"tool": "pip", "app": False}, "collectstatic": False, "migrate": migrate, "run": run}
    )

    assert plan.summary() == summary


def test_plan_round_trips_through_json(tmp_path):
    write_tree(tmp_path, {**django_project(), "requirements.txt": "Django\n"})
    plan = plan_for(tmp_path, env={"APP_MODULE": "mysite.wsgi"})

    assert Plan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan
    with pytest.raises(DetectionError, match=r"Not a build plan"):
        Plan.from_dict({"install": {"tool": "conda", "app": False}})


def test_dockerfile_for_django_in_app_home(tmp_path):
    write_tree(
        tmp_path,
        {
            **django_project(prefix="web/"),
            "requirements.txt": "Django==5.0.6\ngunicorn==22.0.0\n",
            ".s2i/environment": 'APP_HOME=web\nAPP_MODULE=mysite.wsgi\nSECRET_KEY="pa$$ \\"word\\""\n',
        },
    )
    plan = plan_for(tmp_path)

    assert plan.summary() == "will run: gunicorn mysite.wsgi in web/, migrate on start"
    assert dockerfile_for(plan) == (
        "# Generated by Berth from the detected build plan (builds/detect.py); do not edit.\n"
        "FROM registry.access.redhat.com/ubi9/python-311:latest\n"
        "USER 1001\n"
        'ENV APP_HOME="web" \\\n'
        '    APP_MODULE="mysite.wsgi" \\\n'
        '    SECRET_KEY="pa\\$\\$ \\"word\\""\n'
        "WORKDIR /opt/app-root/src\n"
        "COPY --chown=1001:0 . /opt/app-root/src/\n"
        "RUN pip install -r requirements.txt\n"
        "RUN cd web && if PYTHONPATH=/opt/app-root/src python manage.py collectstatic --dry-run --noinput "
        ">/dev/null 2>&1; then PYTHONPATH=/opt/app-root/src python manage.py collectstatic --noinput; "
        "else echo \"WARNING: could not run 'manage.py collectstatic'; skipped\"; fi\n"
        'ENV PYTHONPATH="/opt/app-root/src"\n'
        "WORKDIR /opt/app-root/src/web\n"
        "EXPOSE 8080\n"
        'CMD ["/bin/sh", "-c", "python manage.py migrate --noinput && exec gunicorn mysite.wsgi '
        '--bind=0.0.0.0:8080 --access-logfile=-"]\n'
    )


def test_dockerfile_for_pipenv_installs_the_tool_in_its_own_virtualenv(tmp_path):
    write_tree(
        tmp_path,
        {
            **FLASK_PACKAGE,
            "setup.py": SETUP_PY,
            "Pipfile": PIPFILE,
            ".s2i/environment": "ENABLE_PIPENV=1\nPIN_PIPENV_VERSION=2023.12.1\n",
        },
    )

    assert dockerfile_for(plan_for(tmp_path)) == (
        "# Generated by Berth from the detected build plan (builds/detect.py); do not edit.\n"
        "FROM registry.access.redhat.com/ubi9/python-311:latest\n"
        "USER 1001\n"
        'ENV ENABLE_PIPENV="1" \\\n'
        '    PIN_PIPENV_VERSION="2023.12.1"\n'
        "WORKDIR /opt/app-root/src\n"
        "COPY --chown=1001:0 . /opt/app-root/src/\n"
        "RUN python3 -m venv /opt/app-root/src/.local/venvs/pipenv && "
        "/opt/app-root/src/.local/venvs/pipenv/bin/pip install -U pipenv==2023.12.1\n"
        "RUN if [ -f Pipfile ]; then VIRTUAL_ENV=/opt/app-root "
        "/opt/app-root/src/.local/venvs/pipenv/bin/pipenv install --deploy; "
        "elif [ -f requirements.txt ]; then VIRTUAL_ENV=/opt/app-root "
        "/opt/app-root/src/.local/venvs/pipenv/bin/pipenv install -r requirements.txt; fi\n"
        "RUN pip install .\n"
        "EXPOSE 8080\n"
        'CMD ["gunicorn", "hello", "--bind=0.0.0.0:8080", "--access-logfile=-"]\n'
    )


def test_dockerfile_for_micropipenv_script_and_gunicorn_config(tmp_path):
    write_tree(
        tmp_path,
        {
            **django_project(),
            "app.sh": APP_SH,
            "Pipfile": '[packages]\ndjango = "*"\n',
            "Pipfile.lock": PIPFILE_LOCK_DJANGO,
        },
    )
    plan = plan_for(tmp_path, env={"ENABLE_MICROPIPENV": "1", "DISABLE_COLLECTSTATIC": "1"})

    assert dockerfile_for(plan).splitlines()[-4:] == [
        "RUN python3 -m venv /opt/app-root/src/.local/venvs/micropipenv && "
        "/opt/app-root/src/.local/venvs/micropipenv/bin/pip install -U 'micropipenv[toml]'",
        "RUN /opt/app-root/src/.local/venvs/micropipenv/bin/micropipenv install --deploy",
        "EXPOSE 8080",
        'CMD ["./app.sh"]',
    ]

    write_tree(tmp_path, {"gunicorn.conf.py": 'wsgi_app = "mysite.wsgi"\nbind = "0.0.0.0:8000"\n'})
    plan = plan_for(tmp_path, env={"ENABLE_MICROPIPENV": "1", "DISABLE_COLLECTSTATIC": "1"})

    assert plan.summary() == "will run: gunicorn (from gunicorn.conf.py)"
    assert dockerfile_for(plan).splitlines()[-2:] == ["EXPOSE 8000", 'CMD ["gunicorn"]']


@pytest.mark.parametrize(
    ("requirements", "files"),
    [
        ("Django\n-r requirements/base.txt\n", ["requirements.txt", "requirements/base.txt"]),
        ("--find-links https://wheels.example.com/\ngunicorn\n", ["requirements.txt"]),
        ("gunicorn @ https://files.example.com/gunicorn-23.0.0-py3-none-any.whl\n", ["requirements.txt"]),
        ("git+https://github.com/benoitc/gunicorn.git@23.0.0#egg=gunicorn\n", ["requirements.txt"]),
        ("-r https://example.com/requirements.txt\ngunicorn\n", ["requirements.txt"]),
        # pip would install a part of the tree (or of the builder's disk): not apart from it
        ("gunicorn\n-e .\n", []),
        ("gunicorn\n./libs/shared\n", []),
        ("gunicorn\n--find-links ./wheels\n", []),
        ("gunicorn @ file:///opt/wheels/gunicorn.whl\n", []),
        ("gunicorn\n-r missing.txt\n", []),
    ],
)
def test_the_requirements_files_an_incremental_build_installs_apart(tmp_path, requirements, files):
    write_tree(
        tmp_path,
        {
            "wsgi.py": FLASK_WSGI,
            "requirements.txt": requirements,
            "requirements/base.txt": "gunicorn==23.0.0\n",
            "libs/shared/setup.py": "from setuptools import setup\nsetup(name='shared')\n",
        },
    )

    plan = plan_for(tmp_path)

    assert list(plan.install.files) == files
    assert Plan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_an_incremental_build_installs_the_dependencies_in_an_image_of_their_own(tmp_path):
    write_tree(
        tmp_path,
        {
            "wsgi.py": FLASK_WSGI,
            "requirements.txt": "Flask\n-r requirements/base.txt\n",
            "requirements/base.txt": "gunicorn==23.0.0\n",
            ".s2i/environment": "UPGRADE_PIP_TO_LATEST=1\n",
        },
    )
    plan = plan_for(tmp_path)

    files = dockerfiles_for(plan, builder_image="python:3.12", build_args=["PIP_INDEX_URL"])

    assert files.dependencies == (
        "# Generated by Berth from the detected build plan (builds/detect.py); do not edit.\n"
        "FROM python:3.12\n"
        "ARG PIP_INDEX_URL\n"
        "USER 1001\n"
        'ENV UPGRADE_PIP_TO_LATEST="1"\n'
        "WORKDIR /opt/app-root/src\n"
        'COPY --chown=1001:0 ["requirements.txt", "/opt/app-root/src/requirements.txt"]\n'
        'COPY --chown=1001:0 ["requirements/base.txt", "/opt/app-root/src/requirements/base.txt"]\n'
        "RUN pip install -U pip setuptools wheel\n"
        "RUN pip install -r requirements.txt\n"
    )
    # The app's image starts from it (the build names it) and installs nothing again.
    assert files.app.splitlines()[1:8] == [
        "ARG BERTH_DEPENDENCIES",
        "FROM ${BERTH_DEPENDENCIES}",
        "ARG PIP_INDEX_URL",
        "USER 1001",
        'ENV UPGRADE_PIP_TO_LATEST="1"',
        "WORKDIR /opt/app-root/src",
        "COPY --chown=1001:0 . /opt/app-root/src/",
    ]
    assert "pip install" not in files.app
    # Off, or not possible: one Dockerfile, as before.
    whole = dockerfile_for(plan, builder_image="python:3.12", build_args=["PIP_INDEX_URL"])
    assert dockerfiles_for(
        plan, builder_image="python:3.12", build_args=["PIP_INDEX_URL"], incremental_build=False
    ) == (type(files)(app=whole))
    assert "RUN pip install -r requirements.txt" in whole and "FROM python:3.12" in whole


def test_an_empty_value_of_a_setting_the_cluster_gives_leaves_the_clusters(tmp_path):
    # sclorg's quickstarts pass PIP_INDEX_URL="" when the person names no index.
    write_tree(
        tmp_path,
        {
            "wsgi.py": FLASK_WSGI,
            "requirements.txt": "gunicorn\n",
            ".s2i/environment": "PIP_INDEX_URL=\nPIP_TRUSTED_HOST=pypi.example\nAPP_CONFIG=\n",
        },
    )
    plan = plan_for(tmp_path)
    text = dockerfile_for(plan, builder_image="python:3.12", build_args=["PIP_INDEX_URL", "PIP_TRUSTED_HOST"])
    env = text.split("USER 1001\n", 1)[1].split("WORKDIR", 1)[0]  # the ENV instruction
    assert "PIP_INDEX_URL" not in env  # the ARG, the cluster's index, applies
    assert 'PIP_TRUSTED_HOST="pypi.example"' in env  # a value given wins, as before
    assert 'APP_CONFIG=""' in env  # not a cluster's setting: kept as given


def test_an_app_that_installs_itself_or_its_own_assemble_is_not_incremental(tmp_path):
    write_tree(
        tmp_path, {"wsgi.py": FLASK_WSGI, "requirements.txt": "gunicorn\n-e .\n", "setup.py": SETUP_PY}
    )
    plan = plan_for(tmp_path)
    assert dockerfiles_for(plan, builder_image="python:3.12").dependencies == ""
    assert why_not_incremental(plan).startswith("requirements.txt installs a part of the source")

    write_tree(tmp_path, {"requirements.txt": "gunicorn\n", ".s2i/bin/assemble": "#!/bin/sh\n"})
    plan = plan_for(tmp_path)
    assert plan.install.files == ("requirements.txt",)
    assert dockerfiles_for(plan, builder_image="python:3.12").dependencies == ""
    assert why_not_incremental(plan) == "the repository's .s2i/bin/assemble installs them"


def test_a_plan_stored_before_incremental_builds_reads_as_not_incremental():
    stored = {
        "install": {"tool": "pip", "app": False},
        "collectstatic": False,
        "migrate": False,
        "run": {"kind": "gunicorn", "target": "wsgi", "cwd": ".", "port": 8080},
    }

    plan = Plan.from_dict(stored)

    assert plan.install.files == ()
    assert dockerfiles_for(plan, builder_image="python:3.12").dependencies == ""


def test_dockerfile_refuses_a_plan_with_nothing_to_run(tmp_path):
    plan = plan_for(tmp_path)

    with pytest.raises(DetectionError) as error:
        dockerfile_for(plan)

    assert str(error.value) == NOTHING_TO_RUN


# --- the management command --------------------------------------------------------------------


def _django_settings_load() -> bool:
    try:
        from django.conf import settings

        return bool(settings.INSTALLED_APPS)
    except Exception:  # not configured (e.g. -p no:django) or settings that don't import yet
        return False


needs_django = pytest.mark.skipif(not _django_settings_load(), reason="Django settings are not importable")


@needs_django
def test_detect_source_command_prints_the_plan_as_json(tmp_path, capsys):
    import django
    from django.core.management import call_command

    django.setup()
    write_tree(tmp_path, {**django_project(), "requirements.txt": "Django\ngunicorn\n"})

    call_command("detect_source", str(tmp_path), "--json", "--env", "APP_MODULE=mysite.wsgi")

    assert json.loads(capsys.readouterr().out) == {
        "install": {"tool": "pip", "app": False, "files": ["requirements.txt"]},
        "collectstatic": True,
        "migrate": True,
        "run": {"kind": "gunicorn", "target": "mysite.wsgi", "cwd": ".", "port": 8080},
        "env": {"APP_MODULE": "mysite.wsgi"},
        "warnings": [],
    }


@needs_django
def test_detect_source_command_turns_bad_input_into_command_errors(tmp_path):
    import django
    from django.core.management import CommandError, call_command

    django.setup()
    write_tree(tmp_path, {"app.py": FLASK_APP_PY, "settings.py": DJANGO_SETTINGS, "manage.py": MANAGE_PY})

    with pytest.raises(CommandError, match=r"does not exist"):
        call_command("detect_source", str(tmp_path / "nope"), "--json")
    with pytest.raises(CommandError, match=r"Pipenv and micropipenv cannot be enabled at the same time"):
        call_command(
            "detect_source", str(tmp_path), "--env", "ENABLE_PIPENV=1", "--env", "ENABLE_MICROPIPENV=1"
        )
