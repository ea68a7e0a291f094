"""Work out what sclorg's s2i-python-container would do with a source tree.

Berth's ``source`` strategy builds Python apps the way the sclorg builder images
do (``s2i/bin/assemble`` and ``s2i/bin/run`` in sclorg/s2i-python-container),
but from a generated Dockerfile. This module reads a checked-out tree, decides
the same things those scripts decide at build and start time, and returns a
:class:`Plan`. It never runs the app's code (``setup.py`` is read with ``ast``),
never touches the network and never imports Django, so it is safe to call on an
untrusted clone from a web request.

Rules followed, in the scripts' own order:

Environment
    ``.s2i/environment`` (``KEY=value`` lines, optionally quoted) is read first;
    the build config's environment is laid over it, so a build-config value wins,
    as it does for an OpenShift BuildConfig. Like the scripts, a flag counts as
    set when its value is non-empty: ``ENABLE_PIPENV=false`` turns pipenv *on*.

assemble
    ``ENABLE_PIPENV`` and ``ENABLE_MICROPIPENV`` together are an error.
    ``UPGRADE_PIP_TO_LATEST`` upgrades pip, setuptools and wheel first.
    Dependencies: pipenv (``pipenv install --deploy`` with a Pipfile, else
    ``pipenv install -r requirements.txt``; ``PIN_PIPENV_VERSION``), micropipenv
    (``micropipenv install --deploy``: Pipfile.lock, poetry.lock, then
    requirements.txt), else ``pip install -r requirements.txt``. Then the app
    itself with ``pip install .`` when there is a setup.py/setup.cfg (unless
    ``DISABLE_SETUP_PY_PROCESSING``) or a pyproject.toml (unless
    ``DISABLE_PYPROJECT_TOML_PROCESSING``). Finally ``manage.py collectstatic``
    in ``APP_HOME`` when Django is installed, unless ``DISABLE_COLLECTSTATIC``.

run
    1. ``gunicorn.conf.py`` in the source root that sets ``wsgi_app``, with
       gunicorn >= 20.1 installed: plain ``gunicorn`` (before the ``APP_HOME``
       change of directory, as in the script).
    2. In ``APP_HOME``: ``APP_SCRIPT`` (default ``app.sh``), then ``APP_FILE``
       (default ``app.py``). The defaults only apply when none of
       ``APP_SCRIPT``/``APP_FILE``/``APP_MODULE`` is set; a file named
       explicitly but missing is an error.
    3. ``manage.py migrate`` when Django is installed, unless ``DISABLE_MIGRATE``.
    4. gunicorn, if installed, with ``APP_MODULE``, else ``wsgi`` when
       ``wsgi.py`` exists, else the name from a setup.py at most one directory
       deep. Binds ``0.0.0.0:$PORT`` unless ``APP_CONFIG`` or
       ``GUNICORN_CMD_ARGS`` is set.
    5. Django's ``manage.py runserver 0.0.0.0:$PORT``.
    Otherwise the app cannot start: ``run.kind`` is ``"none"`` with a warning.

"Installed" means named in a dependency file that the chosen install steps
actually consume: requirements files (with ``-r`` includes and local paths),
Pipfile ``[packages]`` and Pipfile.lock, setup.py/setup.cfg ``install_requires``,
pyproject ``[project].dependencies`` and ``[tool.poetry.dependencies]``, and the
same metadata of local path dependencies. Transitive dependencies of packages
from an index are unknown without the network; a warning says when that
matters (e.g. manage.py present but Django not listed).
"""

from __future__ import annotations

import ast
import configparser
import json
import re
import shlex
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

DEFAULT_BUILDER_IMAGE = "registry.access.redhat.com/ubi9/python-311:latest"
DEFAULT_PORT = 8080

# Where the sclorg images keep the app and its virtualenv; the generated
# Dockerfile relies on this layout, as the s2i scripts do.
APP_ROOT = "/opt/app-root"
APP_SRC = "/opt/app-root/src"
APP_UID = 1001

INSTALL_TOOLS = ("pip", "pipenv", "micropipenv")
RUN_KINDS = ("gunicorn-config", "script", "file", "gunicorn", "django-runserver", "s2i-run", "none")
# The repository's own s2i scripts (.s2i/bin/<name>) replace the builder image's; they
# may call the image's own ($STI_SCRIPTS_PATH/<name>), as s2i allows.
S2I_SCRIPTS = ("assemble", "run")
S2I_SCRIPTS_DIR = "/tmp/scripts"  # noqa: S108 - inside the image, where s2i puts them

# Variables the scripts test with `-z`/`! -z`: any non-empty value means "on".
FLAG_VARIABLES = (
    "ENABLE_PIPENV",
    "ENABLE_MICROPIPENV",
    "UPGRADE_PIP_TO_LATEST",
    "DISABLE_SETUP_PY_PROCESSING",
    "DISABLE_PYPROJECT_TOML_PROCESSING",
    "DISABLE_COLLECTSTATIC",
    "DISABLE_MIGRATE",
)
_FALSE_LOOKING = {"0", "false", "no", "off", "n", "f"}

# gunicorn reads `wsgi_app` from its config file from 20.1.0 on; the run script
# checks that version before trusting gunicorn.conf.py.
GUNICORN_CONFIG_MIN_VERSION = (20, 1)

# Anything bigger is not a dependency file anyone wrote by hand.
_MAX_FILE_BYTES = 1_000_000
_MAX_INCLUDE_DEPTH = 10

_ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REQUIREMENT = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(.*)", re.S)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_NAMED_URL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@")
_VCS = ("git+", "hg+", "svn+", "bzr+")
_PATH_PART = re.compile(r"[A-Za-z0-9._-]+")
_VERSION = re.compile(r"(\d+(?:\.\d+)*)")


class DetectionError(ValueError):
    """The tree or its settings can't be built as asked; the message says why and what to change."""


@dataclass(frozen=True)
class Install:
    tool: str | None
    app: bool
    # The requirements files pip reads, when they are all it reads: the dependencies can
    # then be installed before the rest of the source is copied, and an incremental build
    # reuses them while these files (and the builder image) stay the same. Empty when pip
    # also installs a part of the tree (``-e .``, a local path, ``--find-links ./wheels``).
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Run:
    kind: str
    target: str | None
    cwd: str
    port: int


@dataclass
class Plan:
    install: Install
    collectstatic: bool
    migrate: bool
    run: Run
    env: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)  # the repository's .s2i/bin overrides

    def to_dict(self) -> dict[str, Any]:
        install = {"tool": self.install.tool, "app": self.install.app}
        if self.install.files:
            install["files"] = list(self.install.files)
        data = {
            "install": install,
            "collectstatic": self.collectstatic,
            "migrate": self.migrate,
            "run": asdict(self.run),
            "env": dict(self.env),
            "warnings": list(self.warnings),
        }
        if self.scripts:
            data["scripts"] = list(self.scripts)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """Rebuild a stored plan, so a Dockerfile can be produced again without the tree."""
        try:
            install, run = data["install"], data["run"]
            plan = cls(
                install=Install(
                    tool=install["tool"],
                    app=bool(install["app"]),
                    files=tuple(str(f) for f in install.get("files", ())),
                ),
                collectstatic=bool(data["collectstatic"]),
                migrate=bool(data["migrate"]),
                run=Run(kind=run["kind"], target=run["target"], cwd=run["cwd"], port=int(run["port"])),
                env={str(k): str(v) for k, v in data.get("env", {}).items()},
                warnings=[str(w) for w in data.get("warnings", [])],
                scripts=[str(s) for s in data.get("scripts", []) if s in S2I_SCRIPTS],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DetectionError(f"Not a build plan: {exc!r}") from exc
        if plan.install.tool not in (*INSTALL_TOOLS, None) or plan.run.kind not in RUN_KINDS:
            raise DetectionError("Not a build plan: unknown install tool or run kind")
        return plan

    def summary(self) -> str:
        """One line for the build config page, e.g. "will run: gunicorn wsgi, migrate on start"."""
        run = self.run
        phrases = {
            "gunicorn-config": "gunicorn (from gunicorn.conf.py)",
            "script": f"script {run.target}",
            "file": f"python {run.target}",
            "gunicorn": f"gunicorn {run.target}",
            "django-runserver": "Django runserver (development server)",
            "s2i-run": "the repository's .s2i/bin/run",
            "none": "nothing (no way to start the app was found)",
        }
        text = "will run: " + phrases[run.kind]
        if "assemble" in self.scripts:
            text += " (built by the repository's .s2i/bin/assemble)"
        if run.kind != "none" and run.cwd != ".":
            text += f" in {run.cwd}/"
        if self.migrate:
            text += ", migrate on start"
        return text


# --- .s2i/environment -------------------------------------------------------


def parse_s2i_environment(text: str, *, source: str = ".s2i/environment") -> tuple[dict[str, str], list[str]]:
    """Parse ``KEY=value`` lines; blank lines and ``#`` comments are skipped.

    A value wrapped in single or double quotes loses its quotes (``\\"`` and
    ``\\\\`` are unescaped inside double quotes). An unquoted value is kept
    verbatim, as s2i keeps it, including any trailing ``# text``.
    """
    env: dict[str, str] = {}
    warnings: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not _ENV_KEY.fullmatch(key):
            warnings.append(f"{source} line {lineno} is not KEY=value and was ignored: {line!r}")
            continue
        value, problem = _unquote(value.strip())
        if problem:
            warnings.append(f"{source} line {lineno}: {problem}")
        env[key] = value
    return env, warnings


def _unquote(value: str) -> tuple[str, str | None]:
    if not value or value[0] not in "'\"":
        if " #" in value:
            return value, (
                f"the value {value!r} keeps its '#' text; s2i does not strip inline comments "
                "(quote the value and put the comment after the closing quote)"
            )
        return value, None
    quote, chars, i = value[0], [], 1
    while i < len(value):
        char = value[i]
        if quote == '"' and char == "\\" and i + 1 < len(value) and value[i + 1] in '"\\':
            chars.append(value[i + 1])
            i += 2
            continue
        if char == quote:
            rest = value[i + 1 :].strip()
            if rest and not rest.startswith("#"):
                return (
                    value,
                    f"unexpected text after the closing quote; the value is kept as written: {value!r}",
                )
            return "".join(chars), None
        chars.append(char)
        i += 1
    return value, f"the quote is never closed; the value is kept as written: {value!r}"


# --- reading the tree safely --------------------------------------------------


class _Tree:
    """The source tree; every read stays inside it (a clone may hold hostile symlinks)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.warnings: list[str] = []

    def rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix() or "."
        except ValueError:
            return str(path)

    def inside(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.root)

    def is_file(self, path: Path) -> bool:
        return path.is_file() and self.inside(path)

    def is_dir(self, path: Path) -> bool:
        return path.is_dir() and self.inside(path)

    def read(self, path: Path) -> str | None:
        if not path.is_file():
            return None
        if not self.inside(path):
            self.warn(f"{path.name} points outside the source tree and was not read")
            return None
        if path.stat().st_size > _MAX_FILE_BYTES:
            self.warn(f"{self.rel(path)} is larger than {_MAX_FILE_BYTES} bytes and was not read")
            return None
        return path.read_text(encoding="utf-8", errors="replace")

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


# --- dependency files ---------------------------------------------------------

Deps = dict[str, list[str]]  # normalised project name -> version specifiers seen


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _add(deps: Deps, name: str, spec: str = "") -> None:
    specs = deps.setdefault(_normalise(name), [])
    if spec and spec not in specs:
        specs.append(spec)


def _merge(into: Deps, other: Deps) -> None:
    for name, specs in other.items():
        for spec in specs or [""]:
            _add(into, name, spec)


def _parse_requirement(text: str) -> tuple[str, str] | None:
    """``Django[argon2]>=4.2; python_version >= "3.10"`` -> ("django", ">=4.2")."""
    match = _REQUIREMENT.fullmatch(text.strip())
    if not match:
        return None
    spec = match.group(2).split(";", 1)[0].strip()
    if spec.startswith("@"):
        spec = ""
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1].strip()
    return _normalise(match.group(1)), spec


class _DependencyReader:
    def __init__(self, tree: _Tree) -> None:
        self.tree = tree
        self._seen: set[Path] = set()

    # requirements files

    def requirements(self, path: Path, depth: int = 0) -> Deps:
        deps: Deps = {}
        resolved = path.resolve()
        if resolved in self._seen or depth > _MAX_INCLUDE_DEPTH:
            return deps
        self._seen.add(resolved)
        text = self.tree.read(path)
        if text is None:
            if not path.exists():
                self.tree.warn(f"{self.tree.rel(path)} is included but does not exist; pip will fail")
            return deps
        for line in _logical_lines(text):
            if line.startswith(("--requirement", "-r")):
                target = _option_value(line, "-r", "--requirement")
                _merge(deps, self.requirements(path.parent / target, depth + 1))
            elif line.startswith(("--constraint", "-c")):
                continue  # constraints pin versions but install nothing
            elif line.startswith(("--editable", "-e")):
                _merge(deps, self._requirement_target(_option_value(line, "-e", "--editable"), path.parent))
            elif line.startswith("-"):
                continue  # --index-url, --find-links, --pre, ...
            else:
                _merge(deps, self._requirement_target(line, path.parent))
        return deps

    def _requirement_target(self, value: str, base: Path) -> Deps:
        value = re.split(r"\s+--?[A-Za-z]", value, maxsplit=1)[0].strip()  # drop --hash=... and friends
        deps: Deps = {}
        if not value or "${" in value:
            return deps
        if _NAMED_URL.match(value):
            parsed = _parse_requirement(value)
            if parsed:
                _add(deps, *parsed)
        elif "://" in value or value.startswith(_VCS):
            egg = _EGG.search(value)
            if egg:
                _add(deps, egg.group(1))
        elif value.startswith((".", "/", "file:")) or "/" in value:
            local = value.removeprefix("file:").split("#", 1)[0].split("[", 1)[0]
            return self.package(base / local)
        else:
            parsed = _parse_requirement(value)
            if parsed:
                _add(deps, *parsed)
        return deps

    # a package directory's own metadata (what `pip install <dir>` pulls in)

    def package(self, directory: Path) -> Deps:
        deps: Deps = {}
        if not self.tree.is_dir(directory):
            self.tree.warn(
                f"local dependency {self.tree.rel(directory)} is not a directory in the source tree"
            )
            return deps
        resolved = directory.resolve()
        if resolved in self._seen:
            return deps
        self._seen.add(resolved)
        setup_py = directory / "setup.py"
        if setup_py.is_file():
            meta = _read_setup_py(self.tree, setup_py)
            for requirement in meta.install_requires or []:
                parsed = _parse_requirement(requirement)
                if parsed:
                    _add(deps, *parsed)
            for req_file in meta.requirement_files:
                _merge(deps, self.requirements(directory / req_file))
        cfg = _read_setup_cfg(self.tree, directory / "setup.cfg")
        for requirement in cfg.get("install_requires", "").splitlines():
            parsed = _parse_requirement(requirement) if requirement.strip() else None
            if parsed:
                _add(deps, *parsed)
        pyproject = _read_toml(self.tree, directory / "pyproject.toml")
        if pyproject:
            _merge(deps, self._pyproject(pyproject, directory))
        return deps

    def _pyproject(self, pyproject: Mapping[str, Any], directory: Path) -> Deps:
        deps: Deps = {}
        project = pyproject.get("project", {})
        for requirement in project.get("dependencies", []) or []:
            parsed = _parse_requirement(str(requirement))
            if parsed:
                _add(deps, *parsed)
        if "dependencies" in (project.get("dynamic") or []):
            dynamic = (
                pyproject.get("tool", {}).get("setuptools", {}).get("dynamic", {}).get("dependencies", {})
            )
            files = dynamic.get("file", []) if isinstance(dynamic, dict) else []
            for name in [files] if isinstance(files, str) else files:
                _merge(deps, self.requirements(directory / name))
        _merge(deps, self.poetry(pyproject, directory))
        return deps

    def poetry(self, pyproject: Mapping[str, Any], directory: Path) -> Deps:
        deps: Deps = {}
        table = pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}) or {}
        for name, value in table.items():
            if _normalise(name) == "python":
                continue
            if isinstance(value, dict):
                if value.get("optional"):
                    continue  # only installed with an extra
                if "path" in value:
                    _merge(deps, self.package(directory / str(value["path"])))
                _add(deps, name, str(value.get("version", "")))
            else:
                _add(deps, name, "" if value == "*" else str(value))
        return deps

    def pipfile(self, pipfile: Path) -> Deps:
        deps: Deps = {}
        data = _read_toml(self.tree, pipfile)
        for name, value in (data or {}).get("packages", {}).items():
            if isinstance(value, dict):
                if "path" in value:
                    _merge(deps, self.package(pipfile.parent / str(value["path"])))
                _add(deps, name, str(value.get("version", "")).replace("*", ""))
            else:
                _add(deps, name, str(value).replace("*", ""))
        return deps

    def pipfile_lock(self, lock: Path) -> Deps:
        deps: Deps = {}
        text = self.tree.read(lock)
        if text is None:
            return deps
        try:
            default = json.loads(text).get("default", {})
        except (ValueError, AttributeError):
            self.tree.warn("Pipfile.lock is not valid JSON; the install will fail")
            return deps
        for name, value in default.items():
            _add(deps, name, str(value.get("version", "")) if isinstance(value, dict) else "")
        return deps

    def poetry_lock(self, lock: Path, pyproject: Mapping[str, Any]) -> Deps:
        """Packages micropipenv installs from poetry.lock: the main ones, not dev groups."""
        poetry = pyproject.get("tool", {}).get("poetry", {})
        main = {_normalise(name) for name in poetry.get("dependencies", {}) or {}}
        dev = {_normalise(name) for name in poetry.get("dev-dependencies", {}) or {}}
        for group, table in (poetry.get("group", {}) or {}).items():
            if group != "main" and isinstance(table, dict):
                dev |= {_normalise(name) for name in table.get("dependencies", {}) or {}}
        deps: Deps = {}
        for package in (_read_toml(self.tree, lock) or {}).get("package", []):
            if not isinstance(package, dict) or "name" not in package:
                continue
            name = _normalise(str(package["name"]))
            # Older locks mark each package's category; newer ones leave it to the groups.
            category = package.get("category") or ("dev" if name in dev - main else "main")
            if category == "main":
                _add(deps, name, f"=={package['version']}" if "version" in package else "")
        return deps


def _logical_lines(text: str) -> Iterable[str]:
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            yield line
    if pending.strip():
        yield pending.strip()


def _requirement_files(tree: _Tree, path: Path, depth: int = 0) -> tuple[str, ...] | None:
    """``path`` and the files it includes (``-r``, ``-c``), if pip reads nothing else of
    the tree for them: no editable or local package, no local wheel directory."""
    text = tree.read(path)
    if text is None or depth > _MAX_INCLUDE_DEPTH:
        return None
    files = [tree.rel(path)]
    for line in _logical_lines(text):
        if line.startswith(("--requirement", "-r", "--constraint", "-c")):
            short, long = (
                ("-r", "--requirement") if line.startswith(("-r", "--r")) else ("-c", "--constraint")
            )
            target = _option_value(line, short, long)
            if "://" in target:
                continue  # pip fetches it; nothing of the tree
            included = _requirement_files(tree, path.parent / target, depth + 1)
            if included is None:
                return None
            files += [f for f in included if f not in files]
        elif line.startswith(("--editable", "-e", "--find-links", "-f")):
            short, long = ("-e", "--editable") if line.startswith(("-e", "--e")) else ("-f", "--find-links")
            if "://" not in _option_value(line, short, long):
                return None
        elif line.startswith("-"):
            continue  # --index-url, --pre, --hash, ...
        else:
            value = re.split(r"\s+--?[A-Za-z]", line, maxsplit=1)[0].strip()
            if _NAMED_URL.match(value):
                value = value.split("@", 1)[1].strip()  # name @ url: where the url points
            elif not value.startswith((".", "/", "file:")) and "/" not in value:
                continue  # a name from the index
            if value.startswith("file:") or not ("://" in value or value.startswith(_VCS)):
                return None  # a path in the tree, or on the builder's disk
    return tuple(files)


def _option_value(line: str, short: str, long: str) -> str:
    prefix = long if line.startswith(long) else short
    return line[len(prefix) :].lstrip(" \t=").strip()


def _read_toml(tree: _Tree, path: Path) -> dict[str, Any] | None:
    text = tree.read(path)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        tree.warn(f"{tree.rel(path)} is not valid TOML ({exc}); the build will probably fail")
        return None


def _read_setup_cfg(tree: _Tree, path: Path) -> dict[str, str]:
    """The ``[metadata] name`` and ``[options] install_requires`` of a setup.cfg."""
    text = tree.read(path)
    if text is None:
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        tree.warn(f"{tree.rel(path)} could not be parsed ({exc.__class__.__name__})")
        return {}
    found = {}
    if parser.has_option("metadata", "name"):
        found["name"] = parser.get("metadata", "name").strip()
    if parser.has_option("options", "install_requires"):
        found["install_requires"] = parser.get("options", "install_requires")
    return found


# --- setup.py, read without running it ------------------------------------------


@dataclass
class _SetupPy:
    name: str | None = None
    install_requires: list[str] | None = None
    requirement_files: list[str] = field(default_factory=list)


def _read_setup_py(tree: _Tree, path: Path) -> _SetupPy:
    text = tree.read(path)
    meta = _SetupPy()
    if text is None:
        return meta
    try:
        module = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree.warn(
            f"{tree.rel(path)} could not be parsed as Python; its name and install_requires are unknown"
        )
        return meta
    assignments: dict[str, ast.expr] = {}
    functions: dict[str, ast.FunctionDef] = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assignments[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            assignments[node.target.id] = node.value
        elif isinstance(node, ast.FunctionDef):
            functions[node.name] = node
    call = next((node for node in ast.walk(module) if _is_setup_call(node)), None)
    if call is None:
        return meta
    keywords = _setup_keywords(call, assignments)
    resolver = _Resolver(assignments)
    if "name" in keywords:
        name = resolver.value(keywords["name"])
        meta.name = name if isinstance(name, str) else None
    if "install_requires" in keywords:
        expr = keywords["install_requires"]
        value = resolver.value(expr)
        if isinstance(value, str):
            value = value.splitlines()
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            meta.install_requires = value
        else:
            # e.g. install_requires=read("requirements.txt"): follow the file it names
            meta.requirement_files = _mentioned_requirement_files(expr, assignments, functions)
            if not meta.requirement_files:
                tree.warn(
                    f"install_requires in {tree.rel(path)} is computed at run time and could not be "
                    "read; list gunicorn/Django in requirements.txt if the app needs them"
                )
    return meta


def _is_setup_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "setup") or (
        isinstance(func, ast.Attribute) and func.attr == "setup"
    )


def _setup_keywords(call: ast.Call, assignments: Mapping[str, ast.expr]) -> dict[str, ast.expr]:
    keywords: dict[str, ast.expr] = {}
    for keyword in call.keywords:
        if keyword.arg is not None:
            keywords[keyword.arg] = keyword.value
            continue
        spread = keyword.value  # setup(**metadata)
        if isinstance(spread, ast.Name):
            spread = assignments.get(spread.id, spread)
        if isinstance(spread, ast.Dict):
            for key, value in zip(spread.keys, spread.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    keywords.setdefault(key.value, value)
        elif isinstance(spread, ast.Call) and isinstance(spread.func, ast.Name) and spread.func.id == "dict":
            for item in spread.keywords:
                if item.arg is not None:
                    keywords.setdefault(item.arg, item.value)
    return keywords


class _Resolver:
    """Evaluate literals, names bound at module level, and `+` between them."""

    def __init__(self, assignments: Mapping[str, ast.expr]) -> None:
        self.assignments = assignments

    def value(self, node: ast.expr, depth: int = 0) -> Any:
        if depth > 20:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.List | ast.Tuple):
            items = [self.value(item, depth + 1) for item in node.elts]
            return items if all(isinstance(item, str) for item in items) else None
        if isinstance(node, ast.Name) and node.id in self.assignments:
            return self.value(self.assignments[node.id], depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left, depth + 1), self.value(node.right, depth + 1)
            if isinstance(left, list) and isinstance(right, list):
                return left + right
            if isinstance(left, str) and isinstance(right, str):
                return left + right
        return None


def _mentioned_requirement_files(
    expr: ast.expr, assignments: Mapping[str, ast.expr], functions: Mapping[str, ast.FunctionDef]
) -> list[str]:
    nodes: list[ast.AST] = [expr]
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id in assignments:
            nodes.append(assignments[node.id])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
            nodes.append(functions[node.func.id])
    found: list[str] = []
    for root in nodes:
        for node in ast.walk(root):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.endswith((".txt", ".in"))
                and "req" in node.value.lower()  # requirements files, not README.txt
                and node.value not in found
            ):
                found.append(node.value)
    return found


# --- gunicorn config files --------------------------------------------------------


def _module_assignments(tree: _Tree, path: Path) -> dict[str, ast.expr] | None:
    text = tree.read(path)
    if text is None:
        return None
    try:
        module = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree.warn(f"{tree.rel(path)} could not be parsed as Python")
        # The script only greps the file; keep its answer for wsgi_app.
        return {"wsgi_app": ast.Constant(value=None)} if re.search(r"^\s*wsgi_app\s*=", text, re.M) else {}
    found: dict[str, ast.expr] = {}
    for node in module.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = node.value
    return found


def _bind_port(binds: Any) -> tuple[int | None, str | None]:
    """Port of the first ``host:port`` bind, and a warning if it isn't reachable from outside the pod."""
    first = binds[0] if isinstance(binds, list) and binds else binds
    if not isinstance(first, str):
        return None, None
    if first.startswith(("unix:", "fd://")):
        return None, f"gunicorn binds {first}, which the Service can't reach; bind to 0.0.0.0:<port>"
    host, _, port = first.rpartition(":")
    if not port.isdigit():
        return None, None
    if host in ("127.0.0.1", "localhost", "[::1]"):
        return int(port), f"gunicorn binds {first}, which is only reachable inside the container; use 0.0.0.0"
    return int(port), None


def _gunicorn_cmd_args_bind(value: str) -> str | None:
    try:
        args = shlex.split(value)
    except ValueError:
        return None
    for i, arg in enumerate(args):
        if arg.startswith("--bind="):
            return arg.split("=", 1)[1]
        if arg in ("-b", "--bind") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("-b") and len(arg) > 2:
            return arg[2:]
    return None


# --- the plan -----------------------------------------------------------------------


def plan_for(source: str | Path, *, env: Mapping[str, str] | None = None) -> Plan:
    """Decide how s2i-python-container would install and start the app in ``source``.

    ``env`` is the build config's environment; it overrides ``.s2i/environment``.
    Raises :class:`DetectionError` for settings the s2i scripts would reject.
    """
    root = Path(source)
    if not root.is_dir():
        raise DetectionError(f"{source} is not a directory")
    tree = _Tree(root)
    root = tree.root
    warnings: list[str] = []

    file_env: dict[str, str] = {}
    env_file = root / ".s2i" / "environment"
    text = tree.read(env_file)
    if text is not None:
        file_env, env_warnings = parse_s2i_environment(text)
        warnings += env_warnings
    build_env = dict(env or {})
    for key, value in build_env.items():
        if not _ENV_KEY.fullmatch(key):
            raise DetectionError(f"{key!r} is not a valid environment variable name")
        if "\n" in value or "\r" in value:
            raise DetectionError(f"The value of {key} contains a line break, which an image can't carry")
    merged = {**file_env, **build_env}

    def origin(key: str) -> str:
        return "the build config" if key in build_env else ".s2i/environment"

    def is_set(key: str) -> bool:
        return bool(merged.get(key))

    for key in FLAG_VARIABLES:
        if merged.get(key, "").strip().lower() in _FALSE_LOOKING:
            warnings.append(
                f"{key}={merged[key]} (from {origin(key)}) still counts as set: s2i only checks that the "
                "value is non-empty. Remove it to turn the option off."
            )

    if is_set("ENABLE_PIPENV") and is_set("ENABLE_MICROPIPENV"):
        raise DetectionError(
            "Pipenv and micropipenv cannot be enabled at the same time: ENABLE_PIPENV is set in "
            f"{origin('ENABLE_PIPENV')} and ENABLE_MICROPIPENV in {origin('ENABLE_MICROPIPENV')}. "
            "Keep one of them."
        )

    port = _port(merged, origin)
    app_home = _app_home(tree, merged.get("APP_HOME", ""))
    cwd = relative_app_home(merged.get("APP_HOME", ""))

    reader = _DependencyReader(tree)
    installed: Deps = {}
    tool = _install_dependencies(tree, reader, merged, installed, warnings)

    app = ((root / "setup.py").is_file() or (root / "setup.cfg").is_file()) and not is_set(
        "DISABLE_SETUP_PY_PROCESSING"
    )
    if (root / "pyproject.toml").is_file() and not is_set("DISABLE_PYPROJECT_TOML_PROCESSING"):
        app = True
        pyproject = _read_toml(tree, root / "pyproject.toml")
        has_metadata = pyproject is None or "project" in pyproject or "poetry" in pyproject.get("tool", {})
        if not has_metadata and not (root / "setup.py").is_file():
            warnings.append(
                "pyproject.toml has no [project] or [tool.poetry] table, yet s2i runs 'pip install .' "
                "for it; set DISABLE_PYPROJECT_TOML_PROCESSING=1 if it only configures tools"
            )
    if app:
        _merge(installed, reader.package(root))
    has_gunicorn, has_django = "gunicorn" in installed, "django" in installed

    manage_py = tree.is_file(app_home / "manage.py")
    collectstatic = has_django and manage_py and not is_set("DISABLE_COLLECTSTATIC")
    if has_django and not manage_py:
        warnings.append(
            f"Django is installed but there is no manage.py in {_place(cwd)}: "
            "collectstatic and migrate are skipped"
        )
    if manage_py and not has_django:
        warnings.append(
            "manage.py found but Django is not listed in any dependency file Berth reads; if Django "
            "only comes in indirectly, list it in requirements.txt so collectstatic, migrate and "
            "runserver are used"
        )

    scripts = [name for name in S2I_SCRIPTS if tree.is_file(root / ".s2i" / "bin" / name)]
    if "run" in scripts:
        run = Run(kind="s2i-run", target=".s2i/bin/run", cwd=".", port=port)
    else:
        run = _resolve_run(tree, merged, app_home, cwd, port, installed, warnings, origin)
    migrate = (
        run.kind in ("gunicorn", "django-runserver")
        and has_django
        and manage_py
        and not is_set("DISABLE_MIGRATE")
    )
    if run.kind == "none":
        warnings.append(_nothing_runnable(tree, app_home, cwd, has_gunicorn))
    if run.kind == "file" and run.target:
        warning = _file_never_serves(tree, app_home / run.target, run.target)
        if warning:
            warnings.append(warning)

    if is_set("PIN_PIPENV_VERSION"):
        if tool != "pipenv":
            warnings.append("PIN_PIPENV_VERSION has no effect without ENABLE_PIPENV")
        elif merged["PIN_PIPENV_VERSION"].lstrip().startswith(("=", "<", ">", "~", "!")):
            warnings.append(
                f"PIN_PIPENV_VERSION={merged['PIN_PIPENV_VERSION']}: give a bare version "
                "such as 2024.0.1; s2i adds the '==' itself"
            )

    files = _requirement_files(tree, root / "requirements.txt") if tool == "pip" else None
    return Plan(
        install=Install(tool=tool, app=app, files=files or ()),
        collectstatic=collectstatic,
        migrate=migrate,
        run=run,
        env=dict(sorted(merged.items())),
        warnings=warnings + tree.warnings,
        scripts=scripts,
    )


def _port(env: Mapping[str, str], origin: Callable[[str], str]) -> int:
    raw = env.get("PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise DetectionError(f"PORT={raw!r} (from {origin('PORT')}) is not a TCP port number")
    return int(raw)


def relative_app_home(raw: str) -> str:
    """APP_HOME as a path relative to the source root ("." by default); absolute paths under
    /opt/app-root/src are accepted, anything leaving the source is an error."""
    value = raw.strip() or "."
    if value.startswith("/"):
        if value.rstrip("/") == APP_SRC:
            return "."
        if not value.startswith(APP_SRC + "/"):
            raise DetectionError(f"APP_HOME={raw} is outside the application source ({APP_SRC})")
        value = value[len(APP_SRC) + 1 :]
    parts = [part for part in PurePosixPath(value).parts if part != "."]
    if ".." in parts:
        raise DetectionError(f"APP_HOME={raw} leaves the source tree; give a directory inside it")
    if not all(_PATH_PART.fullmatch(part) for part in parts):
        raise DetectionError(f"APP_HOME={raw}: use letters, digits, '.', '_' and '-' in directory names")
    return "/".join(parts) or "."


def _app_home(tree: _Tree, raw: str) -> Path:
    relative = relative_app_home(raw)
    path = tree.root if relative == "." else tree.root.joinpath(*relative.split("/"))
    if not tree.is_dir(path):
        raise DetectionError(f"APP_HOME={raw} is not a directory in the source tree")
    return path


def _install_dependencies(
    tree: _Tree, reader: _DependencyReader, env: Mapping[str, str], installed: Deps, warnings: list[str]
) -> str | None:
    root = tree.root
    requirements, pipfile = root / "requirements.txt", root / "Pipfile"
    if env.get("ENABLE_PIPENV"):
        if pipfile.is_file():
            _merge(installed, reader.pipfile(pipfile))
            _merge(installed, reader.pipfile_lock(root / "Pipfile.lock"))
        elif requirements.is_file():
            _merge(installed, reader.requirements(requirements))
        else:
            warnings.append("ENABLE_PIPENV is set but there is no Pipfile or requirements.txt to install")
        return "pipenv"
    if env.get("ENABLE_MICROPIPENV"):
        # micropipenv's own lookup order
        if (root / "Pipfile.lock").is_file():
            if not pipfile.is_file():
                warnings.append(
                    "micropipenv install --deploy checks Pipfile.lock against a Pipfile; add the Pipfile"
                )
            _merge(installed, reader.pipfile_lock(root / "Pipfile.lock"))
            _merge(installed, reader.pipfile(pipfile))
        elif (root / "poetry.lock").is_file():
            pyproject = _read_toml(tree, root / "pyproject.toml") or {}
            _merge(installed, reader.poetry_lock(root / "poetry.lock", pyproject))
            _merge(installed, reader.poetry(pyproject, root))
        elif requirements.is_file():
            _merge(installed, reader.requirements(requirements))
        else:
            warnings.append(
                "ENABLE_MICROPIPENV is set but there is no Pipfile.lock, poetry.lock or requirements.txt; "
                "micropipenv needs one of them"
                + (
                    " (a Pipfile alone is not enough: lock it with 'pipenv lock')"
                    if pipfile.is_file()
                    else ""
                )
            )
        return "micropipenv"
    if pipfile.is_file():
        warnings.append(
            "Pipfile found but neither ENABLE_PIPENV nor ENABLE_MICROPIPENV is set, so it is ignored"
            + ("" if requirements.is_file() else " and no dependencies are installed")
        )
    if requirements.is_file():
        _merge(installed, reader.requirements(requirements))
        return "pip"
    return None


def _resolve_run(
    tree: _Tree,
    env: Mapping[str, str],
    app_home: Path,
    cwd: str,
    port: int,
    installed: Deps,
    warnings: list[str],
    origin: Callable[[str], str],
) -> Run:
    root = tree.root
    has_gunicorn, has_django = "gunicorn" in installed, "django" in installed

    # 1. gunicorn.conf.py with wsgi_app, checked before the script changes to APP_HOME.
    config = root / "gunicorn.conf.py"
    settings = _module_assignments(tree, config) if tree.is_file(config) else None
    if settings is not None and "wsgi_app" in settings:
        if not has_gunicorn:
            warnings.append(
                "gunicorn.conf.py sets wsgi_app but gunicorn is not in the dependencies; it is not used"
            )
        elif _version_below(installed["gunicorn"], GUNICORN_CONFIG_MIN_VERSION):
            warnings.append(
                "gunicorn.conf.py sets wsgi_app, but the pinned gunicorn is older than 20.1, "
                "which ignores it there; the file is not used to start the app"
            )
        else:
            config_port = _gunicorn_port(tree, env, config, settings, warnings)
            return Run(kind="gunicorn-config", target="gunicorn.conf.py", cwd=".", port=config_port)

    # 2. APP_SCRIPT, then APP_FILE; their defaults only apply when no APP_* variable is set.
    explicit = any(env.get(key) for key in ("APP_SCRIPT", "APP_FILE", "APP_MODULE"))
    for key, default, kind in (("APP_SCRIPT", "app.sh", "script"), ("APP_FILE", "app.py", "file")):
        name = env.get(key) if explicit else default
        if not name:
            continue
        path = _source_path(tree, app_home, name)
        if path is None or tree.is_file(path):
            return Run(kind=kind, target=name, cwd=cwd, port=port)
        if explicit:
            raise DetectionError(
                f"{key}={name} (from {origin(key)}) but there is no such file in {_place(cwd)}"
            )

    # 3. (migrate happens here when Django is installed; see plan_for.)
    # 4. gunicorn with APP_MODULE, wsgi.py or the setup.py name.
    app_module = env.get("APP_MODULE", "")
    if app_module and not has_gunicorn:
        warnings.append(
            f"APP_MODULE={app_module} is ignored because gunicorn is not in the dependencies; "
            "add gunicorn to requirements.txt"
        )
    if has_gunicorn:
        module = app_module
        if not module and tree.is_file(app_home / "wsgi.py"):
            module = "wsgi"
        if not module:
            module = _setup_py_name(tree, warnings) or ""
        if module:
            return Run(
                kind="gunicorn",
                target=module,
                cwd=cwd,
                port=_gunicorn_module_port(tree, env, app_home, port, warnings),
            )
        if has_django and tree.is_file(app_home / "manage.py"):
            hint = _django_wsgi_module(tree, app_home) or "<project>.wsgi"
            warnings.append(
                f"gunicorn is installed but APP_MODULE is not set and there is no wsgi.py in {_place(cwd)}, "
                f"so Django's development server will be used; set APP_MODULE={hint} to serve with gunicorn"
            )

    # 5. Django's development server.
    if has_django and tree.is_file(app_home / "manage.py"):
        return Run(kind="django-runserver", target="manage.py", cwd=cwd, port=port)
    return Run(kind="none", target=None, cwd=cwd, port=port)


def _source_path(tree: _Tree, app_home: Path, name: str) -> Path | None:
    """Where a file named in the environment lives in the tree; None if it is outside the source."""
    if not name.startswith("/"):
        return app_home / name
    if name.startswith(APP_SRC + "/"):
        return tree.root / name[len(APP_SRC) + 1 :]
    tree.warn(f"{name} is outside the application source; Berth assumes the builder image provides it")
    return None


def _gunicorn_module_port(tree: _Tree, env: Mapping[str, str], app_home: Path, port: int, warnings) -> int:
    if not env.get("APP_CONFIG") and not env.get("GUNICORN_CMD_ARGS"):
        return port  # the script's default settings: --bind=0.0.0.0:$PORT
    # Custom settings: no --bind; gunicorn reads APP_CONFIG, or ./gunicorn.conf.py by default.
    config = _source_path(tree, app_home, env.get("APP_CONFIG") or "gunicorn.conf.py")
    if env.get("APP_CONFIG") and config is not None and not tree.is_file(config):
        warnings.append(f"APP_CONFIG={env['APP_CONFIG']} does not exist in the source; gunicorn will fail")
    settings = (
        _module_assignments(tree, config) if config is not None and tree.is_file(config) else None
    ) or {}
    return _gunicorn_port(tree, env, config, settings, warnings)


def _gunicorn_port(
    tree: _Tree, env: Mapping[str, str], config: Path | None, settings: Mapping[str, ast.expr], warnings
) -> int:
    """Where gunicorn listens: GUNICORN_CMD_ARGS, then the config's bind, then $PORT, then 127.0.0.1:8000."""
    bind: Any = _gunicorn_cmd_args_bind(env.get("GUNICORN_CMD_ARGS", ""))
    if bind is None and "bind" in settings:
        bind = _Resolver({}).value(settings["bind"])
        if bind is None:
            assumed = int(env["PORT"]) if env.get("PORT") else DEFAULT_PORT
            where = tree.rel(config) if config is not None else "the gunicorn config"
            warnings.append(f"the bind in {where} is computed at run time; Berth assumes port {assumed}")
            return assumed
    if bind is not None:
        port, problem = _bind_port(bind)
        if problem:
            warnings.append(problem)
        return port if port is not None else DEFAULT_PORT
    if env.get("PORT"):
        return int(env["PORT"])
    warnings.append(
        "gunicorn gets no bind address, so it listens on 127.0.0.1:8000, which is unreachable from "
        'outside the container; set bind = "0.0.0.0:8080" in the gunicorn config or set PORT'
    )
    return 8000


def _version_below(specs: list[str], minimum: tuple[int, ...]) -> bool:
    """True when a pin (==, <, <=, ~=) rules out every version >= minimum."""
    for spec in specs:
        for clause in spec.split(","):
            match = re.match(r"\s*(===|==|<=|<|~=)\s*" + _VERSION.pattern, clause)
            if not match:
                continue
            operator, version = match.group(1), tuple(int(part) for part in match.group(2).split("."))
            if operator in ("==", "===", "<=") and version < minimum:
                return True
            if operator == "<" and version <= minimum:
                return True
            if operator == "~=" and len(version) > 1:
                upper = (*version[:-2], version[-2] + 1)  # ~=19.9 means <20, ~=20.0.4 means <20.1
                if upper <= minimum:
                    return True
    return False


def _setup_py_name(tree: _Tree, warnings: list[str]) -> str | None:
    """`python $(find $HOME -maxdepth 2 -name setup.py | head -1) --name`, read statically."""
    root = tree.root
    candidates = [root / "setup.py"] if tree.is_file(root / "setup.py") else []
    if not candidates:
        candidates = sorted(
            child / "setup.py"
            for child in root.iterdir()
            if child.is_dir() and child.name != ".git" and tree.is_file(child / "setup.py")
        )
        if len(candidates) > 1:
            warnings.append(
                "several setup.py files one level down ("
                + ", ".join(tree.rel(c) for c in candidates)
                + "); s2i takes whichever it finds first, so set APP_MODULE"
            )
    if not candidates:
        return None
    setup_py = candidates[0]
    name = _read_setup_py(tree, setup_py).name
    if not name:
        name = _read_setup_cfg(tree, setup_py.parent / "setup.cfg").get("name")
    if not name:
        name = ((_read_toml(tree, setup_py.parent / "pyproject.toml") or {}).get("project") or {}).get("name")
    if not name:
        warnings.append(
            f"the package name in {tree.rel(setup_py)} could not be read statically; set APP_MODULE"
        )
        return None
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", name):
        warnings.append(
            f"gunicorn will be started with the setup.py name {name!r}, which is not an importable "
            "module name; set APP_MODULE"
        )
    return name


def _django_wsgi_module(tree: _Tree, app_home: Path) -> str | None:
    for child in sorted(app_home.iterdir()):
        if child.is_dir() and tree.is_file(child / "wsgi.py") and tree.is_file(child / "settings.py"):
            return f"{child.name}.wsgi"
    return None


def _place(cwd: str) -> str:
    return "the source root" if cwd == "." else f"{cwd}/ (APP_HOME)"


_SERVING_CALLS = {"run", "serve", "serve_forever", "run_app", "run_simple", "run_forever", "execvp", "execv"}


def _file_never_serves(tree: _Tree, path: Path, name: str) -> str | None:
    """An app module that s2i would run with ``python``, which defines an app but starts
    nothing (no ``__main__`` block, no ``run()``/``serve()`` call): it would exit at once."""
    text = tree.read(path)
    if text is None:
        return None
    try:
        module = ast.parse(text)
    except SyntaxError:
        return None
    defines_app = any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id in ("app", "application") for t in node.targets)
        for node in module.body
    )
    for node in ast.walk(module):
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            return None
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in _SERVING_CALLS:
                return None
    if not defines_app:
        return None
    return (
        f"{name} defines an app but never starts a server: s2i runs 'python {name}', which would exit "
        "at once. Start the server in it (e.g. app.run(host='0.0.0.0', port=8080)), or add gunicorn to "
        f"requirements.txt and set APP_MODULE={Path(name).stem}:app."
    )


def _nothing_runnable(tree: _Tree, app_home: Path, cwd: str, has_gunicorn: bool) -> str:
    where = "" if cwd == "." else f" in {cwd}/"
    if tree.is_file(app_home / "wsgi.py") and not has_gunicorn:
        return (
            f"Nothing to run: wsgi.py found{where} but gunicorn is not installed; add gunicorn to "
            "requirements.txt (or set APP_FILE / APP_SCRIPT)"
        )
    return (
        f"Nothing to run{where}: add an app.py or app.sh, a wsgi.py with gunicorn in requirements.txt, "
        "or Django with manage.py; or set APP_MODULE, APP_FILE or APP_SCRIPT in .s2i/environment"
    )


# --- Dockerfile ----------------------------------------------------------------------


DEPENDENCIES_ARG = "BERTH_DEPENDENCIES"


def incremental(plan: Plan) -> bool:
    """Whether the plan's dependencies can be installed apart from the app (and reused)."""
    return plan.install.tool == "pip" and bool(plan.install.files) and "assemble" not in plan.scripts


def why_not_incremental(plan: Plan) -> str:
    """Why the plan's dependencies can't be installed apart from the app."""
    if "assemble" in plan.scripts:
        return "the repository's .s2i/bin/assemble installs them"
    if plan.install.tool != "pip":
        return f"only pip's requirements files are reused, and this app uses {plan.install.tool}"
    return "requirements.txt installs a part of the source (an editable or local package, or local wheels)"


def _check_buildable(plan: Plan, builder_image: str) -> None:
    if plan.run.kind == "none":
        reasons = [w for w in plan.warnings if w.startswith("Nothing to run")]
        raise DetectionError(reasons[0] if reasons else "Nothing to run in this source tree")
    if not builder_image or any(c.isspace() for c in builder_image):
        raise DetectionError(f"{builder_image!r} is not an image reference")


def _head(plan: Plan, base: list[str], build_args: Sequence[str]) -> list[str]:
    lines = [
        "# Generated by Berth from the detected build plan (builds/detect.py); do not edit.",
        *base,
        # Build-time settings of the cluster (a package index), not kept in the image.
        *(f"ARG {name}" for name in build_args),
        f"USER {APP_UID}",
    ]
    # An empty value of a setting the cluster gives (sclorg's templates pass
    # PIP_INDEX_URL="" when the person names no index) leaves the cluster's: as ENV it
    # would hide the ARG, and pip would go to PyPI, which a cluster with an index of its
    # own may not reach.
    env = {key: value for key, value in plan.env.items() if value or key not in build_args}
    if env:
        lines.append(_env_instruction(env))
    lines.append(f"WORKDIR {APP_SRC}")
    return lines


def _pip_install(plan: Plan) -> list[str]:
    lines = ["RUN pip install -U pip setuptools wheel"] if plan.env.get("UPGRADE_PIP_TO_LATEST") else []
    if plan.install.tool == "pip":
        lines.append("RUN pip install -r requirements.txt")
    return lines


def dependencies_dockerfile(
    plan: Plan, *, builder_image: str = DEFAULT_BUILDER_IMAGE, build_args: Sequence[str] = ()
) -> str:
    """The first image of an incremental build: the builder with the app's dependencies
    installed from its requirements files alone. The app's image is built on it
    (``dockerfile_for(..., on_dependencies=True)``); a later build whose builder image and
    requirements files are the same reuses it instead of installing again."""
    _check_buildable(plan, builder_image)
    if not incremental(plan):
        raise DetectionError("This plan installs part of the source tree; its dependencies can't be apart")
    lines = _head(plan, [f"FROM {builder_image}"], build_args)
    lines += [f"COPY --chown={APP_UID}:0 {json.dumps([f, f'{APP_SRC}/{f}'])}" for f in plan.install.files]
    lines += _pip_install(plan)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Dockerfiles:
    app: str
    # An incremental build's first image (its dependencies), reused while unchanged; or "".
    dependencies: str = ""


def dockerfiles_for(
    plan: Plan, *, builder_image: str, build_args: Sequence[str] = (), incremental_build: bool = True
) -> Dockerfiles:
    """What a build of ``plan`` runs: the app's Dockerfile, on its dependencies' when the
    build is incremental and the plan allows it."""
    if incremental_build and incremental(plan):
        return Dockerfiles(
            app=dockerfile_for(
                plan, builder_image=builder_image, build_args=build_args, on_dependencies=True
            ),
            dependencies=dependencies_dockerfile(plan, builder_image=builder_image, build_args=build_args),
        )
    return Dockerfiles(app=dockerfile_for(plan, builder_image=builder_image, build_args=build_args))


def dockerfile_for(
    plan: Plan,
    *,
    builder_image: str = DEFAULT_BUILDER_IMAGE,
    build_args: Sequence[str] = (),
    on_dependencies: bool = False,
) -> str:
    """The Dockerfile that carries out ``plan`` on an sclorg s2i-python builder image.

    It follows the assemble/run scripts step for step but spells the decisions
    out, so the image does what the build config page promised. The image's
    virtualenv (/opt/app-root) is on PATH, so ``pip`` and ``python`` are its.
    ``on_dependencies``: start from the image of :func:`dependencies_dockerfile`, named
    by the build argument ``BERTH_DEPENDENCIES``, and install no dependencies again.
    """
    _check_buildable(plan, builder_image)
    on_dependencies = on_dependencies and incremental(plan)
    base = [f"ARG {DEPENDENCIES_ARG}", f"FROM ${{{DEPENDENCIES_ARG}}}"] if on_dependencies else []
    lines = _head(plan, base or [f"FROM {builder_image}"], build_args)
    if plan.scripts:
        lines.append(f"COPY --chown={APP_UID}:0 .s2i/bin/ {S2I_SCRIPTS_DIR}/")
    if "assemble" in plan.scripts:
        # As s2i does: the source in /tmp/src, the repository's assemble does the rest
        # (and may call the image's own, $STI_SCRIPTS_PATH/assemble).
        lines += [f"COPY --chown={APP_UID}:0 . /tmp/src/", f"RUN {S2I_SCRIPTS_DIR}/assemble"]
        lines.append(f"EXPOSE {plan.run.port}")
        lines.append("CMD " + json.dumps(_command(plan)))
        return "\n".join(lines) + "\n"
    lines.append(f"COPY --chown={APP_UID}:0 . {APP_SRC}/")

    tool = plan.install.tool
    if not on_dependencies:  # else the dependencies image has done this
        lines += _pip_install(plan)
    if tool == "pipenv":
        pin = plan.env.get("PIN_PIPENV_VERSION", "")
        lines.append(_tool_venv("pipenv", "pipenv" + (f"=={pin}" if pin else "")))
        pipenv = f"VIRTUAL_ENV={APP_ROOT} {APP_SRC}/.local/venvs/pipenv/bin/pipenv"
        lines.append(
            f"RUN if [ -f Pipfile ]; then {pipenv} install --deploy; "
            f"elif [ -f requirements.txt ]; then {pipenv} install -r requirements.txt; fi"
        )
    elif tool == "micropipenv":
        lines.append(_tool_venv("micropipenv", "micropipenv[toml]"))
        lines.append(f"RUN {APP_SRC}/.local/venvs/micropipenv/bin/micropipenv install --deploy")
    if plan.install.app:
        lines.append("RUN pip install .")

    run = plan.run
    if plan.collectstatic:
        # As assemble does: in APP_HOME, with the source root importable; a failed
        # dry run only warns.
        home = relative_app_home(plan.env.get("APP_HOME", ""))
        pythonpath = "" if home == "." else f"PYTHONPATH={shlex.quote(_source_pythonpath(plan.env))} "
        manage = pythonpath + "python manage.py collectstatic"
        lines.append(
            ("RUN " if home == "." else f"RUN cd {shlex.quote(home)} && ")
            + f"if {manage} --dry-run --noinput >/dev/null 2>&1; then {manage} --noinput; "
            + "else echo \"WARNING: could not run 'manage.py collectstatic'; skipped\"; fi"
        )
    if run.cwd != ".":
        # run changes to APP_HOME and keeps the source root importable.
        lines.append(f"ENV PYTHONPATH={_env_value(_source_pythonpath(plan.env))}")
        lines.append(f"WORKDIR {APP_SRC}/{run.cwd}")

    lines.append(f"EXPOSE {run.port}")
    lines.append("CMD " + json.dumps(_command(plan)))
    return "\n".join(lines) + "\n"


def _source_pythonpath(env: Mapping[str, str]) -> str:
    return APP_SRC + (f":{env['PYTHONPATH']}" if env.get("PYTHONPATH") else "")


def _tool_venv(tool: str, requirement: str) -> str:
    venv = f"{APP_SRC}/.local/venvs/{tool}"
    # A separate virtualenv, as assemble's install_tool does, keeps the tool's
    # own dependencies out of the app's environment.
    return f"RUN python3 -m venv {venv} && {venv}/bin/pip install -U {shlex.quote(requirement)}"


def _command(plan: Plan) -> list[str]:
    run, env = plan.run, plan.env
    if run.kind == "gunicorn-config":
        argv = ["gunicorn"]
    elif run.kind == "script":
        target = run.target or ""
        argv = [target if target.startswith("/") else f"./{target}"]
    elif run.kind == "s2i-run":
        argv = [f"{S2I_SCRIPTS_DIR}/run"]
    elif run.kind == "file":
        argv = ["python", run.target or ""]
    elif run.kind == "gunicorn":
        argv = ["gunicorn", run.target or ""]
        if env.get("APP_CONFIG"):
            argv += ["--config", env["APP_CONFIG"]]
        elif not env.get("GUNICORN_CMD_ARGS"):
            argv += [f"--bind=0.0.0.0:{run.port}", "--access-logfile=-"]
    else:  # django-runserver
        argv = ["python", "manage.py", "runserver", f"0.0.0.0:{run.port}"]
    if plan.migrate:
        return ["/bin/sh", "-c", "python manage.py migrate --noinput && exec " + shlex.join(argv)]
    return argv


def _env_instruction(env: Mapping[str, str]) -> str:
    pairs = []
    for key, value in env.items():
        if not _ENV_KEY.fullmatch(key):
            raise DetectionError(f"{key!r} is not a valid environment variable name")
        if "\n" in value or "\r" in value:
            raise DetectionError(f"The value of {key} contains a line break, which an image can't carry")
        pairs.append(f"{key}={_env_value(value)}")
    return "ENV " + " \\\n    ".join(pairs)


def _env_value(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'
