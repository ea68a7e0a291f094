"""Development accounts: an admin, and the devcluster's people with their groups."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

# The same names and groups as devcluster's token file, so that what Berth
# impersonates matches what the cluster knows.
PEOPLE = {"alice": ["developers"], "bob": ["developers", "qa"], "carol": ["qa"]}


class Command(BaseCommand):
    help = "Create (or reset) the development admin and the people alice, bob and carol."

    def add_arguments(self, parser):
        parser.add_argument("--admin-password", required=True)

    def handle(self, *args, admin_password: str, **options):
        if settings.PRODUCTION:
            raise CommandError("dev_users only runs in development or test mode (BERTH_MODE).")
        users = get_user_model()
        admin, _ = users.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        admin.set_password(admin_password)
        admin.save()
        for name, groups in PEOPLE.items():
            person, _ = users.objects.get_or_create(username=name)
            person.set_password(admin_password)
            person.save()
            person.groups.set([Group.objects.get_or_create(name=group)[0] for group in groups])
        self.stdout.write("development users ready: admin, " + ", ".join(PEOPLE))
