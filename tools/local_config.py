"""The local emulator's deploy settings, read from samconfig.toml (config environment "local"),
the one place they are written down.

    python3 tools/local_config.py stack-name                # [local.global.parameters] stack_name
    python3 tools/local_config.py overrides [Key=Value ...]  # [local.deploy.parameters] parameter_overrides,
                                                            # each Key=Value given replacing or adding one

`sam deploy --parameter-overrides` on the command line replaces samconfig's parameter_overrides
instead of adding to them, so tools/local-deploy.sh hands sam the merged list this prints: the
local defaults with the caller's differences on top (make demo: its raised per-number limit; make
e2e: its low limits). Needs Python 3.11+ (tomllib), as tools/install.sh does.
"""

import shlex
import sys
import tomllib
from pathlib import Path

SAMCONFIG = Path(__file__).resolve().parent.parent / "samconfig.toml"
ENV = "local"


def load(path=SAMCONFIG):
    with open(path, "rb") as f:
        return tomllib.load(f)[ENV]


def stack_name(config):
    return config["global"]["parameters"]["stack_name"]


def split(pairs):
    """Key=Value strings as (key, value) pairs, in order."""
    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"not Key=Value: {pair!r}")
        out.append((key, value))
    return out


def defaults(config):
    """The local parameter_overrides of samconfig.toml (a string or a list of strings, as SAM CLI reads them)."""
    raw = config["deploy"]["parameters"].get("parameter_overrides", "")
    if isinstance(raw, str):
        raw = shlex.split(raw)
    return split(raw)


def merge(base, extra):
    """base with each (key, value) of extra replacing the same key's value, or added at the end."""
    merged = dict(base)
    merged.update(extra)
    return list(merged.items())


def render(pairs):
    """One --parameter-overrides string; a value with whitespace is double-quoted, as SAM CLI reads it."""
    parts = []
    for key, value in pairs:
        if '"' in value:
            raise ValueError(f"{key}: a value with a double quote cannot be passed: {value!r}")
        parts.append(f'{key}="{value}"' if any(c.isspace() for c in value) else f"{key}={value}")
    return " ".join(parts)


def main(argv):
    if argv == ["stack-name"]:
        print(stack_name(load()))
    elif argv[:1] == ["overrides"]:
        print(render(merge(defaults(load()), split(argv[1:]))))
    else:
        print("usage: local_config.py stack-name | overrides [Key=Value ...]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (ValueError, KeyError, OSError) as e:
        print(f"local_config.py: {e}", file=sys.stderr)
        sys.exit(1)
