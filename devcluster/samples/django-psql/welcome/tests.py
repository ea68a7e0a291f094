from django.db import connection
from django.test import TestCase

from welcome.models import PageView


class WelcomePageTests(TestCase):
    def test_each_visit_is_counted(self):
        self.client.get("/")
        response = self.client.get("/")
        self.assertContains(response, "Welcome to your Django application")
        self.assertContains(response, "Page views: 2")
        self.assertContains(response, f"Database: {connection.vendor}")
        self.assertEqual(PageView.objects.count(), 2)

    def test_health_answers_with_the_count_and_counts_no_visit(self):
        PageView.objects.create()
        response = self.client.get("/health")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"1\n")
        self.assertEqual(PageView.objects.count(), 1)
