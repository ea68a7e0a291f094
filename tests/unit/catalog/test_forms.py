"""The parameters form: a field per parameter, and what a template's sample offers."""

from __future__ import annotations

from catalog.forms import ParametersForm
from catalog.processing import template_read

TEMPLATE = """
kind: Template
apiVersion: template.openshift.io/v1
metadata:
  name: app
  annotations:
    berth.io/sample-repository: django-psql
objects: []
parameters:
- name: SOURCE_REPOSITORY_URL
  displayName: Git Repository URL
  required: true
- name: NAME
  value: web
"""


def test_a_sample_template_offers_its_repository_where_berth_knows_the_samples(settings):
    settings.BERTH_SAMPLES_GIT_URL = "git://10.201.0.1:9418/"
    form = ParametersForm(template=template_read(TEMPLATE))
    assert form["SOURCE_REPOSITORY_URL"].initial == "git://10.201.0.1:9418/django-psql.git"
    assert form["NAME"].initial == "web"


def test_without_a_samples_server_the_repository_is_the_persons_to_give(settings):
    settings.BERTH_SAMPLES_GIT_URL = ""
    form = ParametersForm({"p-NAME": "web"}, template=template_read(TEMPLATE), prefix="p")
    assert form["SOURCE_REPOSITORY_URL"].initial == ""
    assert not form.is_valid() and "SOURCE_REPOSITORY_URL" in form.errors


def test_a_template_without_the_annotation_is_offered_nothing(settings):
    settings.BERTH_SAMPLES_GIT_URL = "git://10.201.0.1:9418/"
    form = ParametersForm(template=template_read(TEMPLATE.replace("berth.io/sample-repository", "other")))
    assert not form["SOURCE_REPOSITORY_URL"].initial
