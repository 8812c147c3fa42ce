"""Tests of tools/local_config.py, the reader of samconfig.toml's local settings (make unit)."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import local_config as lc

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "local_config.py")


class Samconfig(unittest.TestCase):
    def test_the_local_stack_name(self):
        self.assertEqual(lc.stack_name(lc.load()), "sms-passwordless-local")

    def test_the_local_defaults(self):
        keys = [k for k, _ in lc.defaults(lc.load())]
        for key in ("Architecture", "DeletionProtection", "LogRetentionInDays"):
            self.assertIn(key, keys)
        self.assertEqual(len(keys), len(set(keys)), "each parameter once")


class Merge(unittest.TestCase):
    def test_the_callers_value_wins_in_place_and_new_keys_come_last(self):
        base = [("Architecture", "x86_64"), ("LogRetentionInDays", "1")]
        extra = lc.split(["Architecture=arm64", "MaxSends=2", "MaxSends=3"])
        self.assertEqual(
            lc.merge(base, extra), [("Architecture", "arm64"), ("LogRetentionInDays", "1"), ("MaxSends", "3")]
        )

    def test_a_value_may_hold_equals_signs_and_commas(self):
        pairs = lc.split(["TestPhoneNumbers=+15555550111=135790,+15555550112=246802"])
        self.assertEqual(pairs, [("TestPhoneNumbers", "+15555550111=135790,+15555550112=246802")])
        self.assertEqual(lc.render(pairs), "TestPhoneNumbers=+15555550111=135790,+15555550112=246802")

    def test_whitespace_is_quoted(self):
        self.assertEqual(lc.render([("AppName", "My App"), ("LogLevel", "DEBUG")]), 'AppName="My App" LogLevel=DEBUG')

    def test_refusals(self):
        for bad in (["NoEquals"], ["=value"]):
            with self.assertRaises(ValueError):
                lc.split(bad)
        with self.assertRaises(ValueError):
            lc.render([("AppName", 'say "hi"')])


class CommandLine(unittest.TestCase):
    def run_script(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], check=False, capture_output=True, text=True)

    def test_overrides_start_with_samconfigs(self):
        out = self.run_script("overrides", "Architecture=arm64", "MaxSends=2")
        self.assertEqual(out.returncode, 0, out.stderr)
        line = out.stdout.strip()
        self.assertTrue(line.startswith("Architecture=arm64 DeletionProtection=INACTIVE "), line)
        self.assertTrue(line.endswith(" MaxSends=2"), line)

    def test_usage_and_bad_input(self):
        self.assertEqual(self.run_script().returncode, 2)
        self.assertEqual(self.run_script("stack-name", "extra").returncode, 2)
        bad = self.run_script("overrides", "NoEquals")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("not Key=Value", bad.stderr)


if __name__ == "__main__":
    unittest.main()
