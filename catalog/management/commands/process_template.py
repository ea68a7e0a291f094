"""``python manage.py process_template FILE [-p NAME=VALUE]... [--param-file F]``: print the
objects an OpenShift template makes, as a JSON List (what ``oc process -o json`` prints)."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.processing import TemplateError, parameter_values, template_process, template_read


class Command(BaseCommand):
    help = "Process an OpenShift template (JSON or YAML) into the objects it makes, as a JSON List."
    requires_system_checks = []  # reads files; needs neither the database nor the checks

    def add_arguments(self, parser):
        parser.add_argument("file", help="the template, JSON or YAML ('-' reads standard input)")
        parser.add_argument(
            "-p",
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a parameter's value (repeatable; wins over --param-file)",
        )
        parser.add_argument("--param-file", metavar="F", help="NAME=VALUE lines ('#' comments)")

    def handle(self, *args, **options):
        try:
            text = self._read(options["file"])
            values = {}
            if options["param_file"]:
                lines = self._read(options["param_file"]).splitlines()
                values.update(parameter_values(lines, source=options["param_file"]))
            values.update(parameter_values(options["param"]))
            processed = template_process(template_read(text), values)
        except TemplateError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(processed.as_list(), indent=4, ensure_ascii=False))
        if processed.message:
            self.stderr.write(processed.message)

    def _read(self, name: str) -> str:
        if name == "-":
            return sys.stdin.read()
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"{name}: no such file")
        try:
            return path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{name}: cannot be read ({exc})") from None
