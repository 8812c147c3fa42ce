"""tools/publish.py: what it refuses, and the address written into both URL keys (make unit)."""

import unittest

import publish

TEMPLATE = """Metadata:
  AWS::ServerlessRepo::Application:
    HomePageUrl: https://github.com/OWNER/REPOSITORY
    SemanticVersion: 0.1.0
    SourceCodeUrl: https://github.com/OWNER/REPOSITORY
"""
PLACEHOLDER = "https://github.com/OWNER/REPOSITORY"


class PublishTest(unittest.TestCase):
    def test_the_real_template_holds_one_placeholder(self):
        self.assertTrue(publish.placeholder(publish.TEMPLATE.read_text()).startswith("https://"))

    def test_two_different_urls_in_the_template_are_refused(self):
        with self.assertRaises(publish.Refused):
            publish.placeholder(TEMPLATE.replace("SourceCodeUrl: https://github.com/OWNER", "SourceCodeUrl: https://x"))

    def test_no_url_the_placeholder_or_a_bad_one_is_refused(self):
        for url in ["", PLACEHOLDER, "http://example.com/repo", "https://exa mple.com", "github.com/me/repo"]:
            with self.subTest(url=url), self.assertRaises(publish.Refused):
                publish.check_url(url, PLACEHOLDER)
        self.assertEqual(publish.check_url("https://github.com/me/repo", PLACEHOLDER), "https://github.com/me/repo")

    def test_the_address_goes_into_both_keys(self):
        filled = publish.fill(TEMPLATE, PLACEHOLDER, "https://github.com/me/repo")
        self.assertEqual(set(publish.url_lines(filled).values()), {"https://github.com/me/repo"})
        self.assertNotIn(PLACEHOLDER, filled)
        self.assertIn("SemanticVersion: 0.1.0", filled)

    def test_a_placeholder_left_elsewhere_is_refused(self):
        with self.assertRaises(publish.Refused):
            publish.fill(TEMPLATE + f"# {PLACEHOLDER}\n", PLACEHOLDER, "https://github.com/me/repo")

    def test_main_refuses_before_building_anything(self):
        self.assertEqual(publish.main(["--check", "--repository-url", "", "--s3-bucket", "b"]), 1)
        self.assertEqual(publish.main(["--check", "--repository-url", PLACEHOLDER, "--s3-bucket", "b"]), 1)
        self.assertEqual(publish.main(["--check", "--repository-url", "https://github.com/me/r", "--s3-bucket", ""]), 1)
        self.assertEqual(
            publish.main(["--check", "--repository-url", "https://github.com/me/r", "--s3-bucket", "b"]), 0
        )


if __name__ == "__main__":
    unittest.main()
