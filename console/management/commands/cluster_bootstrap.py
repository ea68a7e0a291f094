from django.core.management.base import BaseCommand, CommandError

from kube import ClusterError
from kube.bootstrap import rbac_apply


class Command(BaseCommand):
    help = (
        "Apply deploy/rbac.yaml (Berth's ClusterRole and who may create projects) with Berth's credentials."
    )

    def handle(self, *args, **options):
        try:
            applied = rbac_apply()
        except ClusterError as exc:
            raise CommandError(f"could not apply deploy/rbac.yaml: {exc}") from exc
        self.stdout.write("applied " + ", ".join(applied))
