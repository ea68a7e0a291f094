"""``python manage.py detect_source PATH [--json]``: show how Berth would build the app in PATH."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from builds.detect import DEFAULT_BUILDER_IMAGE, DetectionError, dockerfile_for, plan_for


class Command(BaseCommand):
    help = (
        "Decide how the Python app in PATH would be installed and started by the s2i-python rules "
        "(assemble and run), without building anything."
    )
    requires_system_checks = []  # reads a directory; needs neither the database nor the checks

    def add_arguments(self, parser):
        parser.add_argument("path", help="the application source tree (the build's context directory)")
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="print the plan as JSON")
        output.add_argument("--dockerfile", action="store_true", help="print the generated Dockerfile")
        parser.add_argument(
            "--env",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="build config environment; overrides .s2i/environment (repeatable)",
        )
        parser.add_argument("--builder-image", default=DEFAULT_BUILDER_IMAGE, help="image for --dockerfile")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        if not path.is_dir():
            raise CommandError(f"{path} is not a directory; give the application's source tree")
        env = {}
        for item in options["env"]:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise CommandError(f"--env {item!r}: expected KEY=VALUE")
            env[key] = value
        try:
            plan = plan_for(path, env=env)
            dockerfile = (
                dockerfile_for(plan, builder_image=options["builder_image"]) if options["dockerfile"] else ""
            )
        except DetectionError as exc:
            raise CommandError(str(exc)) from exc

        if options["json"]:
            self.stdout.write(json.dumps(plan.to_dict(), indent=2))
        elif options["dockerfile"]:
            self.stdout.write(dockerfile, ending="")
        else:
            self.stdout.write(self._describe(path, plan))

    def _describe(self, path, plan) -> str:
        install = {
            "pip": "pip install -r requirements.txt",
            "pipenv": "pipenv (Pipfile, or requirements.txt)",
            "micropipenv": "micropipenv install --deploy",
            None: "no dependency file",
        }[plan.install.tool]
        if plan.install.app:
            install += ", then the app itself (pip install .)"
        run = plan.run
        lines = [
            f"Source:   {path}",
            f"Install:  {install}",
            f"Build:    {'manage.py collectstatic' if plan.collectstatic else 'no collectstatic'}",
            f"Run:      {run.kind}" + (f" {run.target}" if run.target else ""),
            f"          in {'the source root' if run.cwd == '.' else run.cwd + '/'}, port {run.port}"
            + (", manage.py migrate first" if plan.migrate else ""),
        ]
        if plan.env:
            lines.append("Env:      " + "\n          ".join(f"{k}={v}" for k, v in plan.env.items()))
        lines += [f"Warning:  {warning}" for warning in plan.warnings]
        lines.append(plan.summary())
        return "\n".join(lines)
