"""Git addresses Berth refuses, outputs outside the project, and planning from what a
source pod sends back (its log's markers, the tar of small files)."""

from __future__ import annotations

import base64
import io
import subprocess
import tarfile

import pytest

from builds.cluster import BuildSpec, _parse_source_log, _source_script, buildah_commands
from builds.services import output_image_problem
from builds.source import SourceError, SourceRead, checkout_from, git_url_problem


@pytest.mark.parametrize(
    "url",
    [
        "https://alice:s3cret@github.com/org/app.git",
        "https://ghp_token@github.com/org/app.git",
        "http://user:pw@git.example/org/app",
        "ssh://git:pw@github.com/org/app.git",
    ],
)
def test_credentials_in_the_address_are_refused(url):
    assert "Credentials don't go in the address" in (git_url_problem(url) or "")


@pytest.mark.parametrize("url", ["ssh://git@github.com/org/app.git", "git@github.com:org/app.git"])
def test_an_ssh_user_name_is_not_a_credential(url):
    assert git_url_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/org/app.git",
        "git://127.0.0.1:9418/app.git",
        "https://192.168.1.20/app.git",
        "git@169.254.169.254:org/app.git",
        "https://localhost/app.git",
    ],
)
def test_private_addresses_are_refused_in_production(settings, url):
    settings.BERTH_BUILD_PRIVATE_SOURCES = False
    settings.BERTH_BUILD_SOURCE_HOSTS_ALLOWED = []
    assert "is a private address" in (git_url_problem(url) or "")
    settings.BERTH_BUILD_PRIVATE_SOURCES = True
    assert git_url_problem(url) is None


def test_an_administrator_may_allow_a_private_host(settings):
    settings.BERTH_BUILD_PRIVATE_SOURCES = False
    settings.BERTH_BUILD_SOURCE_HOSTS_ALLOWED = ["10.0.0.5"]
    assert git_url_problem("http://10.0.0.5/org/app.git") is None
    assert git_url_problem("http://10.0.0.6/org/app.git")


def test_outputs_go_only_to_the_projects_own_repositories(settings):
    settings.BERTH_BUILD_REGISTRY = "registry.example:5000"
    assert output_image_problem("registry.example:5000/shop/web:latest", project="shop") is None
    assert output_image_problem("registry.example:5000/shop/web", project="shop") is None
    for image in (
        "registry.example:5000/other/web:latest",
        "registry.example:5000/shop/a/b:latest",
        "registry.example:5000/shopping/web",
        "quay.io/shop/web:latest",
        "registry.example:5000/shop/",
        "registry.example:5000/shop/web@sha256:" + "0" * 64,
    ):
        assert "this project's repositories" in (output_image_problem(image, project="shop") or ""), image


def _archive(files: dict[str, str]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


APP = {"requirements.txt": "gunicorn\n", "wsgi.py": "application = None\n"}


def _log(archive: bytes, *, before: str = "Cloning into '/workspace/src'...") -> str:
    encoded = base64.b64encode(archive).decode()
    chunks = [encoded[i : i + 100] for i in range(0, len(encoded), 100)]
    return "\n".join(
        [before, "BERTH-COMMIT abc123 First version", "BERTH-SOURCE-BEGIN", *chunks, "BERTH-SOURCE-END"]
    )


def test_a_source_log_gives_the_commit_git_output_and_a_plan():
    read = _parse_source_log(_log(_archive(APP)), exit_code=0)
    assert (read.commit, read.message, read.problem) == ("abc123", "First version", "")
    assert read.output == ["Cloning into '/workspace/src'..."]
    checkout = checkout_from(read, env={}, strategy="source", dockerfile_path="")
    assert checkout.commit == "abc123" and checkout.plan.run.kind == "gunicorn"


def test_a_failed_clone_says_what_git_said():
    read = _parse_source_log("fatal: repository 'x' not found", exit_code=128)
    assert read.problem == "git failed (exit 128)." and read.output == ["fatal: repository 'x' not found"]
    with pytest.raises(SourceError, match="exit 128"):
        checkout_from(read, env={}, strategy="source", dockerfile_path="")


def test_a_missing_context_directory_and_a_cut_log_are_reported():
    read = _parse_source_log(
        "BERTH-COMMIT abc x\nBERTH-ERROR The context directory does not exist in the repository.", 3
    )
    assert read.problem == "The context directory does not exist in the repository."
    cut = _log(_archive(APP)).rsplit("\n", 1)[0]  # the log limit cut it before the end marker
    assert "too much to plan" in _parse_source_log(cut, exit_code=0).problem


def test_an_archive_escaping_its_directory_is_refused():
    evil = SourceRead(output=[], commit="abc", archive=_archive({"../outside.py": "x = 1\n", **APP}))
    with pytest.raises(SourceError, match="could not be unpacked"):
        checkout_from(evil, env={}, strategy="source", dockerfile_path="")


def test_the_source_script_quotes_what_the_person_typed():
    script = _source_script(
        git_uri="https://example.org/a.git; rm -rf /", git_ref="main", context_dir="app dir"
    )
    assert "'https://example.org/a.git; rm -rf /'" in script and "'app dir'" in script


def test_the_build_runs_the_post_commit_hook_before_pushing(settings):
    settings.BERTH_BUILD_REGISTRY_INSECURE = True
    settings.BERTH_BUILD_PIP_INDEX_URL = "http://10.201.0.1:3141/simple/"
    settings.BERTH_BUILD_PIP_TRUSTED_HOST = "10.201.0.1:3141"
    spec = BuildSpec(
        build_id=1,
        name="web-1",
        config_name="web",
        git_uri="x",
        commit="c",
        context_dir="",
        dockerfile="FROM x",
        dockerfile_path="",
        output_image="r:5000/p/web:latest",
        post_commit="exit 3",
    )
    commands = buildah_commands(spec)
    assert commands[0][:2] == ["buildah", "bud"] and "--build-arg" in commands[0]
    assert "PIP_INDEX_URL=http://10.201.0.1:3141/simple/" in commands[0]
    assert [c[1] for c in commands] == ["bud", "from", "run", "push"]
    assert commands[2][-1] == "exit 3" and "--tls-verify=false" in commands[3]


def test_the_source_secret_is_mounted_for_git_only(settings, tmp_path):
    from builds.cluster import _CREDENTIALS, _job, _source_pod

    settings.BERTH_BUILDER_IMAGE = "builder:1"
    spec = BuildSpec(
        build_id=1, name="web-1", config_name="web", git_uri="https://git.example/a.git", commit="c",
        context_dir="", dockerfile="FROM x", dockerfile_path="", output_image="r:5000/p/web:latest",
        source_secret="repo-token", push_config='{"auths": {}}',
    )  # fmt: skip
    _, job = _job(spec)
    pod = job.spec.template.spec
    secrets = {v.name: v.secret.secret_name for v in pod.volumes if v.secret}
    assert secrets == {"source-secret": "repo-token", "push": "build-web-1-push"}
    [clone], [build] = pod.init_containers, pod.containers
    assert "source-secret" in {m.name for m in clone.volume_mounts} and "push" not in {
        m.name for m in clone.volume_mounts
    }
    assert "source-secret" not in {m.name for m in build.volume_mounts}
    assert pod.automount_service_account_token is False
    source = _source_pod("source-web-x", "web", "true", "repo-token")
    assert [v.secret.secret_name for v in source.spec.volumes if v.secret] == ["repo-token"]
    # The token reaches git through GIT_ASKPASS, never through the URL.
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "username").write_text("bob")
    (secret / "password").write_text("t0ken")
    script = _CREDENTIALS.replace("/berth/source", str(secret)).replace(
        "/tmp/askpass", str(tmp_path / "askpass")
    )
    out = subprocess.run(
        ["sh", "-c", script + '\n"$GIT_ASKPASS" "Username for x"; echo; "$GIT_ASKPASS" "Password for x"'],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert out.split() == ["bob", "t0ken"]


def test_a_cluster_ca_bundle_reaches_pip_in_the_build(settings, tmp_path):
    from builds.cluster import _job

    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    settings.BERTH_BUILD_CA_BUNDLE = str(bundle)
    spec = BuildSpec(
        build_id=1, name="web-1", config_name="web", git_uri="x", commit="c", context_dir="",
        dockerfile="FROM x", dockerfile_path="", output_image="r:5000/p/web:latest",
    )  # fmt: skip
    config_map, _ = _job(spec)
    assert config_map.data == {"Dockerfile": "FROM x", "ca.crt": bundle.read_text()}
    bud = buildah_commands(spec)[0]
    assert "PIP_CERT=/etc/berth/build-ca.crt" in bud
    assert "/berth/dockerfile/ca.crt:/etc/berth/build-ca.crt:ro" in bud


def test_an_incremental_build_reuses_dependencies_while_builder_and_requirements_stay(tmp_path):
    """The build script's own logic, with buildah and skopeo stubbed: the registry is a
    file of pushed references, the builder image's manifest a variable."""
    from builds.cluster import _build_script

    source, dockerfiles, calls, pushed = (tmp_path / n for n in ("src", "df", "calls", "pushed"))
    source.mkdir()
    dockerfiles.mkdir()
    (dockerfiles / "Dependencies").write_text("FROM builder:1\nRUN pip install -r requirements.txt\n")
    pushed.write_text("")
    stubs = f"""
skopeo() {{ echo "skopeo $*" >> {calls}; printf %s "$MANIFEST"; }}
buildah() {{
  echo "buildah $*" >> {calls}
  last=$(eval echo \\${{$#}})
  case "$1 $*" in
    *bud*/berth/dockerfile/Dockerfile*) [ -z "${{FAIL:-}}" ] ;;
    pull*) grep -qxF "$last" {pushed} ;;
    push*) echo "$last" >> {pushed} ;;
  esac
}}
"""
    spec = BuildSpec(
        build_id=1, name="web-1", config_name="web", git_uri="x", commit="c", context_dir="",
        dockerfile="FROM x", dockerfile_path="", output_image="r:5000/p/web:latest",
        dependencies_dockerfile="FROM builder:1", builder_image="builder:1",
        dependency_files=("requirements.txt",),
    )  # fmt: skip
    script = (
        _build_script(spec)
        .replace("/workspace/src", str(source))
        .replace("/berth/dockerfile/Dependencies", str(dockerfiles / "Dependencies"))
        .replace("set -eu", "set -eu\n" + stubs, 1)
    )

    def build(manifest: str, requirements: str, fail: str = "") -> tuple[str, list[str]]:
        (source / "requirements.txt").write_text(requirements)
        calls.write_text("")
        done = subprocess.run(
            ["sh", "-c", script], capture_output=True, text=True, env={"MANIFEST": manifest, "FAIL": fail}
        )
        assert done.returncode == (1 if fail else 0), done.stderr
        return done.stdout, calls.read_text().splitlines()

    # A build that fails pushes nothing, not even its dependencies.
    out, ran = build("manifest-1", "Django==5.2\n", fail="yes")
    assert "Dependencies: installing them" in out and not pushed.read_text()

    out, ran = build("manifest-1", "Django==5.2\n")
    assert "Dependencies: installing them" in out
    assert ran[0] == "skopeo inspect --raw --tls-verify=true docker://builder:1"
    pushes = [line.split()[-1] for line in ran if line.startswith("buildah push")]
    # The app's image first (its digest is the build's), then the dependencies for later builds.
    assert pushes[0] == "docker://r:5000/p/web:latest" and pushes[1].startswith(
        "docker://r:5000/p/web:berth-deps-"
    )
    first_tag = pushes[1]

    out, ran = build("manifest-1", "Django==5.2\n")  # nothing changed
    assert "Dependencies: reusing them" in out
    assert not any("Dependencies" in line and line.startswith("buildah bud") for line in ran)
    assert [line.split()[-1] for line in ran if line.startswith("buildah push")] == [
        "docker://r:5000/p/web:latest"
    ]

    out, ran = build("manifest-1", "Django==5.2\ngunicorn\n")  # new requirements
    assert "Dependencies: installing them" in out
    second_tag = [line.split()[-1] for line in ran if line.startswith("buildah push")][1]
    out, ran = build("manifest-2", "Django==5.2\ngunicorn\n")  # a new builder image
    assert "Dependencies: installing them" in out
    third_tag = [line.split()[-1] for line in ran if line.startswith("buildah push")][1]
    assert len({first_tag, second_tag, third_tag}) == 3
    # The app's image is built on whichever dependencies image this build settled on.
    [app_bud] = [
        line for line in ran if line.startswith("buildah bud") and "/berth/dockerfile/Dockerfile" in line
    ]
    assert f"BERTH_DEPENDENCIES={third_tag.removeprefix('docker://')}" in app_bud
