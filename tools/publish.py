"""Publish to the Serverless Application Repository (make publish).

    python3 tools/publish.py --check --repository-url URL --s3-bucket BUCKET   # refusals only
    python3 tools/publish.py --repository-url URL --s3-bucket BUCKET           # after sam build

template.yaml's HomePageUrl and SourceCodeUrl hold one placeholder: the repository's address is
one setting, REPOSITORY_URL, written into both in the packaged template. This refuses to publish
without it, with the placeholder, or when the packaged template still holds the placeholder.
Then: `sam package` of .aws-sam/build (what `sam build` made) into .aws-sam/packaged.yaml, the
address into both keys, `sam publish`. Standard-library Python; sam from tools/env.sh.
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "template.yaml"
BUILT = REPO / ".aws-sam" / "build" / "template.yaml"
PACKAGED = REPO / ".aws-sam" / "packaged.yaml"
URL_KEYS = ("HomePageUrl", "SourceCodeUrl")


class Refused(Exception):
    pass


def url_lines(text):
    """Each of URL_KEYS' values in a template, by key (the first line that sets it)."""
    found = {}
    for key in URL_KEYS:
        match = re.search(rf"^\s*{key}:\s*(\S+)\s*$", text, re.MULTILINE)
        if not match:
            raise Refused(f"the template has no {key}")
        found[key] = match.group(1).strip("'\"")
    return found


def placeholder(text):
    """The placeholder both URL keys of template.yaml hold."""
    values = set(url_lines(text).values())
    if len(values) != 1:
        raise Refused(f"{' and '.join(URL_KEYS)} differ in template.yaml: {sorted(values)}")
    return values.pop()


def check_url(url, placeholder_url):
    """REPOSITORY_URL as the Serverless Application Repository takes it, or a refusal."""
    if not url:
        raise Refused("set REPOSITORY_URL to your repository's address (make publish REPOSITORY_URL=https://...)")
    if url == placeholder_url:
        raise Refused(f"REPOSITORY_URL is the template's placeholder {placeholder_url}")
    if not re.fullmatch(r"https://[^\s'\"]+", url):
        raise Refused(f"REPOSITORY_URL must be an https:// address without spaces or quotes: {url!r}")
    return url


def fill(packaged, placeholder_url, url):
    """The packaged template with the address in both URL keys; refuses one that is left as it was."""
    out = packaged
    for key in URL_KEYS:
        out, n = re.subn(rf"^(\s*{key}:\s*)\S+\s*$", rf"\g<1>{url}", out, count=1, flags=re.MULTILINE)
        if n != 1:
            raise Refused(f"the packaged template has no {key}")
    if placeholder_url in out:
        raise Refused(f"the packaged template still holds the placeholder {placeholder_url}")
    return out


def run(command):
    print("publish.py: " + " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=REPO)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repository-url", default="")
    parser.add_argument("--s3-bucket", default="")
    parser.add_argument("--check", action="store_true", help="only check the settings")
    args = parser.parse_args(argv)
    try:
        url = check_url(args.repository_url.strip(), placeholder(TEMPLATE.read_text()))
        if not args.s3_bucket:
            raise Refused("set S3_BUCKET to the bucket sam package uploads the code to")
        if args.check:
            return 0
        if not BUILT.is_file():
            raise Refused(f"{BUILT.relative_to(REPO)} is missing: run sam build (make build-arm64) first")
        run(["sam", "package", "--template-file", str(BUILT), "--s3-bucket", args.s3_bucket,
             "--output-template-file", str(PACKAGED)])  # fmt: skip
        PACKAGED.write_text(fill(PACKAGED.read_text(), placeholder(TEMPLATE.read_text()), url))
        run(["sam", "publish", "--template", str(PACKAGED)])
    except Refused as e:
        print(f"publish.py: refused: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
