"""tools/cdk_assets.py: the zip a Lambda gets, and the destinations it refuses."""

import stat
import tempfile
import unittest
import zipfile
from pathlib import Path

import cdk_assets


class ZipDirectory(unittest.TestCase):
    def test_keeps_paths_and_the_executable_bit_and_is_reproducible(self):
        with tempfile.TemporaryDirectory() as d:
            source = Path(d, "asset")
            (source / "lib").mkdir(parents=True)
            (source / "bootstrap").write_bytes(b"\x7fELF")
            (source / "bootstrap").chmod(0o755)
            (source / "lib" / "data.txt").write_text("x")
            first, second = Path(d, "1.zip"), Path(d, "2.zip")
            cdk_assets.zip_directory(source, first)
            cdk_assets.zip_directory(source, second)
            self.assertEqual(first.read_bytes(), second.read_bytes())
            with zipfile.ZipFile(first) as z:
                self.assertEqual(z.namelist(), ["bootstrap", "lib/data.txt"])
                mode = z.getinfo("bootstrap").external_attr >> 16
                self.assertTrue(mode & stat.S_IXUSR, oct(mode))


class Destinations(unittest.TestCase):
    def test_lists_each_destination(self):
        manifest = {
            "files": {
                "abc": {
                    "source": {"path": "asset.abc", "packaging": "zip"},
                    "destinations": {"here": {"bucketName": "assets", "objectKey": "abc.zip"}},
                }
            }
        }
        self.assertEqual(list(cdk_assets.destinations(manifest)), [("asset.abc", "zip", "assets", "abc.zip")])

    def test_refuses_a_bootstrapped_bucket(self):
        manifest = {
            "files": {
                "abc": {
                    "source": {"path": "asset.abc"},
                    "destinations": {"x": {"bucketName": "cdk-hnb659fds-assets-${AWS::AccountId}", "objectKey": "k"}},
                }
            }
        }
        with self.assertRaises(SystemExit) as e:
            list(cdk_assets.destinations(manifest))
        self.assertIn("fileAssetsBucketName", str(e.exception))


if __name__ == "__main__":
    unittest.main()
