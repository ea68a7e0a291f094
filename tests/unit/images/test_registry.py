"""The registry's token service without a cluster: scopes, robot credentials, the
signed token the registry verifies (ES256 with libtrust's key id), the endpoint."""

from __future__ import annotations

import base64
import re

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from images import registry


@pytest.fixture
def token_key(settings, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "token.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    settings.BERTH_REGISTRY_TOKEN_KEY = str(path)
    settings.BERTH_REGISTRY_SERVICE = "berth-registry"
    settings.BERTH_REGISTRY_TOKEN_ISSUER = "berth"
    return key


def test_scopes_name_a_project_and_a_repository():
    scopes = registry.parse_scopes(
        ["repository:shop/web:pull,push", "repository:lonely:pull registry:catalog:*"]
    )
    assert scopes == [registry.Scope("shop/web", ("pull", "push"))]
    assert scopes[0].project == "shop"
    assert registry.parse_scopes(["repository:shop/web:delete", "repository:../x/y:pull"]) == [
        registry.Scope("shop/web", ())
    ]


def test_a_build_credential_covers_its_one_repository_and_expires(settings):
    credential = registry.build_credential(repository="shop/web")
    push = registry.Scope("shop/web", ("pull", "push"))
    assert registry.robot_grants("berth-build", credential, push) == ["pull", "push"]
    assert registry.robot_grants("berth-build", credential, registry.Scope("shop/api", ("push",))) == []
    assert registry.robot_grants(
        "berth-build", credential, registry.Scope("shop/base", ("pull", "push"))
    ) == ["pull"]
    assert registry.robot_grants("berth-build", credential, registry.Scope("other/web", ("push",))) == []
    assert registry.robot_grants("berth-pull", credential, push) == []  # not a pull credential
    assert registry.robot_grants("berth-build", credential + "x", push) == []
    settings.BERTH_REGISTRY_BUILD_CREDENTIAL_SECONDS = -1
    assert registry.robot_grants("berth-build", credential, push) == []


def test_a_pull_credential_pulls_its_projects_repositories_only():
    credential = registry.pull_credential(project="shop")
    assert registry.robot_grants("berth-pull", credential, registry.Scope("shop/web", ("pull", "push"))) == [
        "pull"
    ]
    assert registry.robot_grants("berth-pull", credential, registry.Scope("other/web", ("pull",))) == []
    assert registry.robot_grants("berth-build", credential, registry.Scope("shop/web", ("pull",))) == []


def test_the_key_id_is_libtrusts():
    key = ec.generate_private_key(ec.SECP256R1())
    kid = registry.key_id(key.public_key())
    assert re.fullmatch(r"([A-Z2-7]{4}:){11}[A-Z2-7]{4}", kid)


def test_the_token_is_what_the_registry_verifies(token_key):
    response = registry.issue_token(
        subject="alice", access=[{"type": "repository", "name": "shop/web", "actions": ["pull"]}]
    )
    header = jwt.get_unverified_header(response["token"])
    assert header["alg"] == "ES256" and header["kid"] == registry.key_id(token_key.public_key())
    claims = jwt.decode(
        response["token"], token_key.public_key(), algorithms=["ES256"], audience="berth-registry"
    )
    assert claims["iss"] == "berth" and claims["sub"] == "alice"
    assert claims["access"] == [{"type": "repository", "name": "shop/web", "actions": ["pull"]}]
    assert claims["exp"] - claims["iat"] == registry.TOKEN_SECONDS


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.django_db
def test_the_endpoint_grants_robots_their_scope_and_refuses_wrong_passwords(token_key):
    client = Client()
    url = "/registry/token?service=berth-registry&scope=repository:shop/web:pull,push"
    anonymous = client.get(url)
    assert anonymous.status_code == 200
    assert jwt.decode(anonymous.json()["token"], options={"verify_signature": False})["access"] == []
    build = client.get(
        url, HTTP_AUTHORIZATION=_basic("berth-build", registry.build_credential(repository="shop/web"))
    )
    access = jwt.decode(build.json()["token"], options={"verify_signature": False})["access"]
    assert access == [{"type": "repository", "name": "shop/web", "actions": ["pull", "push"]}]
    assert client.get(url, HTTP_AUTHORIZATION=_basic("nobody", "wrong")).status_code == 401
    # containerd's OAuth2 password grant (a POST form) gets the same answer.
    form = {"grant_type": "password", "service": "berth-registry", "scope": "repository:shop/web:pull"}
    form |= {"username": "berth-pull", "password": registry.pull_credential(project="shop")}
    pulled = client.post("/registry/token", form)
    access = jwt.decode(pulled.json()["access_token"], options={"verify_signature": False})["access"]
    assert access == [{"type": "repository", "name": "shop/web", "actions": ["pull"]}]
    assert client.post("/registry/token", {"grant_type": "refresh_token"}).status_code == 400
    assert client.put(url).status_code == 405


@pytest.mark.django_db
def test_without_a_key_there_is_no_token_service(settings):
    settings.BERTH_REGISTRY_TOKEN_KEY = ""
    assert Client().get("/registry/token").status_code == 404
