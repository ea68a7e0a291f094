from django.core.management.base import BaseCommand, CommandError

from kube import ClusterError
from kube.bootstrap import rbac_apply


class Command(BaseCommand):
    help = (
        "Apply deploy/rbac.yaml (the ClusterRoles of Berth's processes and who may create projects) "
        "with Berth's credentials."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--devcluster",
            action="store_true",
            help="also bind the devcluster's users berth-web, berth-actions and berth-builds",
        )

    def handle(self, *args, **options):
        try:
            applied = rbac_apply(devcluster_users=options["devcluster"])
        except ClusterError as exc:
            raise CommandError(f"could not apply deploy/rbac.yaml: {exc}") from exc
        self.stdout.write("applied " + ", ".join(applied))
