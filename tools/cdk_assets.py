"""Publish the file assets of a CDK cloud assembly to S3 as cdk-assets would, but with no bootstrap
stack: each asset in a stack's `<stack>.assets.json` (a directory, zipped; or a file, as it is) is put
at its destination bucket and key through the AWS CLI of this shell (tools/local-env.sh points it
at the local emulator), the bucket made first if it is missing. tools/cdk-e2e.sh uses it.

    python3 tools/cdk_assets.py cdk/cdk.out.local/<stack>.assets.json

The zip keeps each file's mode (a Lambda bootstrap must stay executable) and is the same for the
same files (sorted entries, fixed times).
"""

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def zip_directory(source: Path, target: Path) -> None:
    """`source`'s files, at paths relative to it, into the zip `target`."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (path.stat().st_mode & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, path.read_bytes())


def destinations(manifest: dict):
    """(source path, packaging, bucket, key) of every file asset."""
    for asset_id, asset in manifest.get("files", {}).items():
        source = asset["source"]
        for destination in asset["destinations"].values():
            bucket = destination["bucketName"]
            if "${" in bucket:
                raise SystemExit(
                    f"cdk_assets: asset {asset_id} goes to {bucket}, a bootstrapped bucket; "
                    "synthesize with DefaultStackSynthesizer(fileAssetsBucketName=...)"
                )
            yield source["path"], source.get("packaging", "file"), bucket, destination["objectKey"]


def aws(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["aws", *args], check=False, capture_output=True, text=True)


def publish(manifest_path: Path) -> None:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    made = set()
    with tempfile.TemporaryDirectory() as scratch:
        for path, packaging, bucket, key in destinations(manifest):
            if bucket not in made and aws("s3api", "head-bucket", "--bucket", bucket).returncode != 0:
                created = aws("s3api", "create-bucket", "--bucket", bucket)
                if created.returncode != 0:
                    raise SystemExit(f"cdk_assets: could not create bucket {bucket}: {created.stderr.strip()}")
            made.add(bucket)
            source = manifest_path.parent / path
            if packaging == "zip":
                body = Path(scratch) / f"{source.name}.zip"
                zip_directory(source, body)
            elif packaging == "file":
                body = source
            else:
                raise SystemExit(f"cdk_assets: {path}: packaging {packaging!r} is not a file or a zip")
            put = aws("s3", "cp", "--only-show-errors", str(body), f"s3://{bucket}/{key}")
            if put.returncode != 0:
                raise SystemExit(f"cdk_assets: could not upload {path} to s3://{bucket}/{key}: {put.stderr.strip()}")
            print(f"cdk_assets: {path} -> s3://{bucket}/{key}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python3 tools/cdk_assets.py <cloud assembly>/<stack>.assets.json")
    publish(Path(sys.argv[1]))
