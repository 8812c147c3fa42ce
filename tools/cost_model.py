#!/usr/bin/env python3
"""Monthly cost of SMS sign-in for N monthly active users (MAU): this project against Cognito's own.

Why this exists (issue #7): the project's case is "passwordless SMS sign-in on the cheap Lite tier".
That claim needs numbers: what the Lite tier plus four Lambda triggers plus the SMS cost, against
Cognito's built-in passwordless SMS sign-in, which needs the Essentials tier. SMS is the same on both
sides (Cognito sends its codes through SNS / AWS End User Messaging at the same per-message price),
so the difference is Lite + Lambda against Essentials.

    python3 tools/cost_model.py                      # Markdown table for 10k, 100k, 1M MAU
    python3 tools/cost_model.py --mau 50000 --sms-price-usd 0.0075 --sign-ins-per-user 8
    python3 tools/cost_model.py --json               # the same, machine-readable
    python3 tools/cost_model.py --help               # every input, each one overridable
    python3 tools/cost_model.py --write docs/cost.md # print, and write the report (make cost)

The functions' durations, their AWS calls per invocation and their memory are not written down
here: they are read from the benchmark's output, docs/benchmark.json (`make bench`; another file
with --benchmark), so the model follows the code as the benchmark measured it.

Standard library only (Python 3.11+). Every price sits in `Inputs` below with the date it was read
and where; check them before you quote a result, AWS prices change. Where they came from (no live
web was at hand when they were written down):

- Cognito (Lite free tier and tiers up to 1M MAU, Essentials 0.015 and its free tier): a machine
  transcription of aws.amazon.com/cognito/pricing dated 2026-09-20 (api-evangelist/amazon-cognito,
  plans file). The Lite tiers above 1M MAU (0.00325, 0.0025) are the long-standing user-pool
  prices, from memory. Accounts with older pools may have a 50,000 MAU free tier
  (--lite-free-mau 50000).
- Lambda: the long-standing arm64 prices as quoted by third-party pages (2024); INIT is billed on
  custom runtimes such as provided.al2023 (and on every runtime since 2025-08-01).
- DynamoDB (the per-number SMS limit, the lock across sign-ins and the pumping breaker's counts:
  the calls the benchmark counted per invocation): the on-demand request prices after AWS's
  November 2024 cut, from memory. Storage (small items per number and prefix, swept by TTL) is
  left out.
- SMS: not verified at all. 0.00883 is an assumed US price per message part (AWS fee plus carrier
  pass-through fee); other countries cost several times more. Override it.

Left out, all small next to the above: CloudWatch Logs for the functions' log lines, SNS request
charges, sign-ins that fail or target unknown numbers (no SMS is sent for those), data transfer.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from dataclasses import dataclass, field

TODAY = "2026-11-21"  # the day the defaults below were written down


def _price(value, as_of: str, url: str, note: str = ""):
    """A price: its value, the date it was read, where it comes from and how sure we are."""
    return field(default=value, metadata={"as_of": as_of, "url": url, "note": note})


def _param(value, note: str):
    """A usage assumption (not a price): its value and why that default."""
    return field(default=value, metadata={"note": note})


# Cognito Lite volume tiers, per MAU, above the free tier: (upper MAU bound, USD per MAU). The
# bounds are absolute MAU counts: 10,001-100,000 at 0.0055, 100,001-1,000,000 at 0.0046, ...
LITE_TIERS = ((100_000, 0.0055), (1_000_000, 0.0046), (10_000_000, 0.00325), (math.inf, 0.0025))

COGNITO_URL = "https://aws.amazon.com/cognito/pricing/"
LAMBDA_URL = "https://aws.amazon.com/lambda/pricing/"
SMS_URL = "https://aws.amazon.com/end-user-messaging/pricing/"
DYNAMODB_URL = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
COPY = "from a 2026-09-20 copy of the page, not read live"

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BENCHMARK = os.path.join(REPO, "docs", "benchmark.json")
FUNCTIONS = ("pre-sign-up", "define-auth-challenge", "create-auth-challenge", "verify-auth-challenge")
# DynamoDB operations by what they are billed as (on-demand request units).
DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
DYNAMODB_READS = ("GetItem", "Query", "Scan", "TransactGetItems")
# Billed per item asked for, found or not (see read_units_per_batch_get).
DYNAMODB_BATCH_READS = ("BatchGetItem",)


@dataclass(frozen=True)
class Inputs:
    """Every input of the model, prices first. Each field is a command-line option (--kebab-case)."""

    # ---- prices, USD, us-east-1 (as_of: the date the figure was read; see each note) ----------
    sms_price_usd: float = _price(
        0.00883, TODAY, SMS_URL, "US, per SMS part, AWS fee + carrier fee; UNVERIFIED (assumed)"
    )
    lite_free_mau: int = _price(10_000, "2026-09-20", COGNITO_URL, "per account; " + COPY)
    lite_tiers: tuple = _price(
        LITE_TIERS,
        "2026-09-20",
        COGNITO_URL,
        "bound:USD per MAU; the tiers up to 1M from that copy, those above 1M UNVERIFIED",
    )
    essentials_free_mau: int = _price(10_000, "2026-09-20", COGNITO_URL, "per account; " + COPY)
    essentials_price_per_mau: float = _price(0.015, "2026-09-20", COGNITO_URL, "flat; " + COPY)
    lambda_price_per_million_requests: float = _price(
        0.20, "2024", LAMBDA_URL, "arm64 and x86_64; from third-party copies of the page"
    )
    lambda_price_per_gb_second: float = _price(
        0.0000133334, "2024", LAMBDA_URL, "arm64, first 7.5 billion GB-s a month; from third-party copies of the page"
    )
    lambda_free_requests: int = _price(1_000_000, "2024", LAMBDA_URL, "per month")
    lambda_free_gb_seconds: float = _price(400_000, "2024", LAMBDA_URL, "per month")
    dynamodb_price_per_million_writes: float = _price(
        0.625,
        "2024-11",
        DYNAMODB_URL,
        "on-demand write request units, one per write the benchmark counted (items < 1 KB); "
        "from memory of the November 2024 price cut, UNVERIFIED",
    )
    dynamodb_price_per_million_reads: float = _price(
        0.125,
        "2024-11",
        DYNAMODB_URL,
        "on-demand read request units, one per read the benchmark counted (GetItem, Query; < 4 KB, "
        "strongly consistent at most) and one per key of a BatchGetItem; from memory of the "
        "November 2024 price cut, UNVERIFIED",
    )

    # ---- usage assumptions ----------------------------------------------------------------------
    sign_ins_per_user: float = _param(4.0, "sign-ins per MAU a month (a guess)")
    sms_per_sign_in: float = _param(1.1, "resends included (a guess; MAX_SENDS caps it at 3)")
    sms_segments: int = _param(
        1,
        "segments each SMS is billed as; `make cost` passes what create-auth-challenge works out "
        "for the configured templates (GSM-7 or UCS-2, the longest text)",
    )
    extra_rounds_per_sign_in: float = _param(
        0.2, "wrong answers and resends; each adds a verify, a define and a create (a guess)"
    )
    new_user_fraction: float = _param(0.1, "new users a month per MAU; pre-sign-up runs once each (a guess)")
    read_units_per_batch_get: int = _param(
        28,
        "keys of create's one BatchGetItem for a never-signed-in number, each a strongly consistent "
        "read unit, found or not: its record, its SMS counts, and each of its two areas' pause and "
        "12 window buckets (crates/core/src/first_look/dynamodb.rs; 2 with the breaker off)",
    )
    memory_mb: int = _param(128, "MemorySize in template.yaml")
    sns_publish_ms: float = _param(
        30.0,
        "SNS Publish round trip inside AWS, added per SNS call the benchmark counted (create that sends; an estimate)",
    )
    dynamodb_call_ms: float = _param(
        5.0,
        "DynamoDB round trip inside AWS, added per DynamoDB call the benchmark counted (create "
        "that sends, verify), as if one after the other: an upper bound, since create asks its first "
        "ones side by side (an estimate)",
    )
    cold_start_fraction: float = _param(
        0.05, "invocations that bill INIT + first invoke (a guess; AWS quotes <1% as typical)"
    )
    duration_scale: float = _param(
        1.0, "multiplies the local timings; 128 MB gets ~1/14 vCPU, so try 10 for a worst case"
    )
    lambda_free_tier: bool = _param(
        False, "Lambda's free tier counted here; off by default: the account may use it elsewhere"
    )

    def __post_init__(self):
        """Refuse inputs the model cannot mean, rather than print a table from them."""
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
                raise ValueError(f"{f.name} must not be negative (got {v})")
        for name in ("new_user_fraction", "cold_start_fraction"):
            if getattr(self, name) > 1:
                raise ValueError(f"{name} is a fraction from 0 to 1 (got {getattr(self, name)})")
        if self.sms_per_sign_in > 1 + self.extra_rounds_per_sign_in:
            raise ValueError(
                "sms_per_sign_in cannot exceed 1 + extra_rounds_per_sign_in: every SMS is sent by "
                f"a create-auth-challenge round (got {self.sms_per_sign_in} SMS, "
                f"{1 + self.extra_rounds_per_sign_in} rounds)"
            )
        bounds = [b for b, _ in self.lite_tiers]
        if bounds != sorted(bounds) or not bounds or bounds[-1] != math.inf:
            raise ValueError("lite_tiers need ascending upper bounds, the last one inf")


@dataclass(frozen=True)
class Timing:
    """One trigger as the benchmark measured it (the Rust build, a local Lambda Runtime API):
    times in ms (warm invoke p50, cold start from spawn to ready, first invoke), the AWS calls
    one invocation made (`Service.Operation`: count) and the peak resident memory in bytes.

    The times include the harness's loopback round trip and, for each AWS call, a round trip to
    a local fake endpoint (about 0.01 ms), so they overstate a little; the model adds the AWS
    round trips inside AWS on top (`sns_publish_ms`, `dynamodb_call_ms`)."""

    warm_p50: float
    cold_start: float
    first_invoke: float
    calls: dict = field(default_factory=dict)
    peak_memory_bytes: int = 0

    def count(self, service: str, operations: tuple | None = None) -> int:
        """Calls per invocation to `service` (e.g. "DynamoDB"), only `operations` if given."""
        total = 0
        for call, n in self.calls.items():
            svc, _, op = call.partition(".")
            if svc == service and (operations is None or op in operations):
                total += n
        return total


@dataclass(frozen=True)
class Benchmark:
    """What the model reads from `make bench`'s docs/benchmark.json: each trigger's `Timing`, and
    where the figures came from."""

    functions: dict
    source: str = ""
    generated_at: str = ""
    commit: str = ""

    def __getitem__(self, name: str) -> Timing:
        return self.functions[name]

    def describe(self) -> str:
        commit = f", commit {self.commit[:12]}" if self.commit else ""
        when = f"make bench of {self.generated_at}{commit}" if self.generated_at else "make bench"
        return f"{self.source} ({when})"


def load_benchmark(path: str) -> Benchmark:
    """The Rust functions' figures from a benchmark JSON file (`make bench`); the peers' are
    not used. A file without them is refused with what is missing."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"{_shown(path)} not found: run `make bench` first (or pass --benchmark FILE)") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{_shown(path)} is not JSON: {e}") from None
    functions = {}
    for name in FUNCTIONS:
        try:
            rust = data["functions"][name]["rust"]
        except (KeyError, TypeError):
            raise ValueError(
                f"{_shown(path)} has no figures for {name} (functions.{name}.rust): run `make bench`"
            ) from None
        try:
            functions[name] = Timing(
                warm_p50=float(rust["warm_p50_ms"]),
                cold_start=float(rust["cold_start_ms"]),
                first_invoke=float(rust["first_invoke_ms"]),
                calls={k: int(v) for k, v in rust.get("aws_calls_per_invoke", {}).items()},
                peak_memory_bytes=int(rust.get("peak_memory_bytes", 0)),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{_shown(path)}: functions.{name}.rust lacks a figure ({e})") from None
    return Benchmark(
        functions,
        source=_shown(path),
        generated_at=str(data.get("generated_at", "")),
        commit=str(data.get("commit", "")),
    )


def _shown(path: str) -> str:
    """A path as the output shows it: relative to the repository when inside it."""
    full = os.path.abspath(path)
    return os.path.relpath(full, REPO) if full.startswith(REPO + os.sep) else path


def billed_ms(duration_ms: float) -> int:
    """Lambda bills each invocation's duration rounded up to the next whole ms, 1 ms at least.

    The duration is rounded to the microsecond first so float noise (3.0000000000000004) does not
    bill an extra ms.
    """
    return max(1, math.ceil(round(duration_ms, 6)))


def expected_billed_ms(t: Timing, inp: Inputs, extra_ms: float = 0.0) -> float:
    """Mean billed ms of one invocation: warm ones bill the warm p50, cold ones INIT + first invoke.

    `extra_ms` is time spent waiting on another service (`aws_wait_ms`); it is not scaled.
    """
    warm = billed_ms(t.warm_p50 * inp.duration_scale + extra_ms)
    cold = billed_ms((t.cold_start + t.first_invoke) * inp.duration_scale + extra_ms)
    return (1 - inp.cold_start_fraction) * warm + inp.cold_start_fraction * cold


def aws_wait_ms(t: Timing, inp: Inputs) -> float:
    """Time one invocation waits on AWS inside AWS: a round trip per call the benchmark counted."""
    return t.count("SNS") * inp.sns_publish_ms + t.count("DynamoDB") * inp.dynamodb_call_ms


def invocations_per_sign_in(extra_rounds: float) -> dict[str, float]:
    """Trigger invocations per sign-in with CUSTOM_AUTH.

    A first-try sign-in: define (empty session) -> create -> [answer] verify -> define (tokens), so
    define twice, create and verify once. Every further round (wrong answer, resend) adds one
    verify, one define and one create.
    """
    rounds = 1 + extra_rounds
    return {"define-auth-challenge": 1 + rounds, "create-auth-challenge": rounds, "verify-auth-challenge": rounds}


def lambda_usage(mau: float, inp: Inputs, m: Benchmark) -> tuple[float, float]:
    """(requests, GB-seconds) a month for the four triggers."""
    sign_ins = mau * inp.sign_ins_per_user
    new_users = mau * inp.new_user_fraction
    per = invocations_per_sign_in(inp.extra_rounds_per_sign_in)
    create, verify = m["create-auth-challenge"], m["verify-auth-challenge"]
    # The benchmark's create sends a code: its calls are a sending create's. The other creates
    # (after a wrong answer, a resend inside the cooldown) send nothing and ask DynamoDB nothing.
    # Every verify makes the calls the benchmark's (a right answer) made.
    ms_per_sign_in = (
        per["define-auth-challenge"] * expected_billed_ms(m["define-auth-challenge"], inp)
        + per["verify-auth-challenge"] * expected_billed_ms(verify, inp, aws_wait_ms(verify, inp))
        + inp.sms_per_sign_in * expected_billed_ms(create, inp, aws_wait_ms(create, inp))
        + (per["create-auth-challenge"] - inp.sms_per_sign_in) * expected_billed_ms(create, inp)
    )
    requests = sign_ins * sum(per.values()) + new_users
    billed = sign_ins * ms_per_sign_in + new_users * expected_billed_ms(m["pre-sign-up"], inp)
    gb_seconds = billed / 1000 * inp.memory_mb / 1024
    return requests, gb_seconds


def lambda_cost(requests: float, gb_seconds: float, inp: Inputs) -> float:
    """USD for Lambda: per request plus per GB-second, less the free tier when it is turned on."""
    if inp.lambda_free_tier:
        requests = max(0.0, requests - inp.lambda_free_requests)
        gb_seconds = max(0.0, gb_seconds - inp.lambda_free_gb_seconds)
    return requests * inp.lambda_price_per_million_requests / 1_000_000 + gb_seconds * inp.lambda_price_per_gb_second


def tiered_cost(mau: float, free_mau: float, tiers) -> float:
    """USD for `mau` users: the first `free_mau` cost nothing, then each tier's price up to its bound."""
    cost, lower = 0.0, free_mau
    for upper, price in tiers:
        cost += max(0.0, min(mau, upper) - lower) * price
        lower = max(lower, upper)
    return cost


def dynamodb_requests(mau: float, inp: Inputs, m: Benchmark) -> tuple[float, float]:
    """(writes, reads) a month: the calls the benchmark counted, for every create that sends and
    every verify (a wrong answer's verify writes one item, a right one's two: counted as two)."""
    sms = mau * inp.sign_ins_per_user * inp.sms_per_sign_in
    verifies = (
        mau * inp.sign_ins_per_user * invocations_per_sign_in(inp.extra_rounds_per_sign_in)["verify-auth-challenge"]
    )
    create, verify = m["create-auth-challenge"], m["verify-auth-challenge"]
    writes = sms * create.count("DynamoDB", DYNAMODB_WRITES) + verifies * verify.count("DynamoDB", DYNAMODB_WRITES)

    def read_units(m: Timing) -> int:
        return (
            m.count("DynamoDB", DYNAMODB_READS)
            + m.count("DynamoDB", DYNAMODB_BATCH_READS) * inp.read_units_per_batch_get
        )

    reads = sms * read_units(create) + verifies * read_units(verify)
    return writes, reads


def model(mau: float, inp: Inputs, m: Benchmark) -> dict:
    """One row: every figure for `mau` monthly active users."""
    sign_ins = mau * inp.sign_ins_per_user
    sms = sign_ins * inp.sms_per_sign_in
    sms_usd = sms * inp.sms_segments * inp.sms_price_usd
    requests, gb_seconds = lambda_usage(mau, inp, m)
    lambda_usd = lambda_cost(requests, gb_seconds, inp)
    writes, reads = dynamodb_requests(mau, inp, m)
    dynamodb_usd = (
        writes * inp.dynamodb_price_per_million_writes + reads * inp.dynamodb_price_per_million_reads
    ) / 1_000_000
    lite_usd = tiered_cost(mau, inp.lite_free_mau, inp.lite_tiers)
    essentials_usd = tiered_cost(mau, inp.essentials_free_mau, ((math.inf, inp.essentials_price_per_mau),))
    project = sms_usd + lambda_usd + dynamodb_usd + lite_usd
    essentials_total = sms_usd + essentials_usd
    return {
        "mau": mau,
        "sign_ins": sign_ins,
        "sms": sms,
        "sms_usd": sms_usd,
        "lambda_requests": requests,
        "lambda_gb_seconds": gb_seconds,
        "lambda_usd": lambda_usd,
        "dynamodb_writes": writes,
        "dynamodb_reads": reads,
        "dynamodb_usd": dynamodb_usd,
        "cognito_lite_usd": lite_usd,
        "project_total_usd": project,
        "cognito_essentials_usd": essentials_usd,
        "essentials_total_usd": essentials_total,
        "difference_usd": essentials_total - project,
    }


# ---- output ---------------------------------------------------------------------------------


def _usd(x: float) -> str:
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


def _num(v) -> str:
    """Small prices in plain decimals (0.0000133334, not 1.33334e-05)."""
    if isinstance(v, float) and 0 < v < 0.001:
        return f"{v:.10f}".rstrip("0")
    return str(v)


def _tiers_str(tiers) -> str:
    return ",".join(f"{'inf' if b == math.inf else int(b)}:{p:g}" for b, p in tiers)


def _calls_str(calls: dict) -> str:
    return ", ".join(f"{c} ×{n}" for c, n in sorted(calls.items())) or "none"


def markdown(rows: list[dict], inp: Inputs, m: Benchmark) -> str:
    """The table, then the inputs it used, each price with its date and source."""
    out = [
        (
            "| MAU | sign-ins | SMS sent | SMS | Lambda | DynamoDB | Cognito Lite | this project total "
            "| Cognito Essentials | Essentials total (with SMS) | difference (Essentials − this) |"
        ),
        "|" + "---:|" * 11,
    ]
    for r in rows:
        out.append(
            "| "
            + " | ".join(
                [
                    f"{r['mau']:,.0f}",
                    f"{r['sign_ins']:,.0f}",
                    f"{r['sms']:,.0f}",
                    _usd(r["sms_usd"]),
                    _usd(r["lambda_usd"]),
                    _usd(r["dynamodb_usd"]),
                    _usd(r["cognito_lite_usd"]),
                    _usd(r["project_total_usd"]),
                    _usd(r["cognito_essentials_usd"]),
                    _usd(r["essentials_total_usd"]),
                    _usd(r["difference_usd"]),
                ]
            )
            + " |"
        )
    out += ["", "Monthly USD, us-east-1. A positive difference is what this project saves.", "", "Inputs:", ""]
    for f in dataclasses.fields(inp):
        v = getattr(inp, f.name)
        shown = _tiers_str(v) if f.name == "lite_tiers" else _num(v)
        meta = f.metadata
        where = f"; as of {meta['as_of']}, {meta['url']}" if "url" in meta else ""
        out.append(f"- `--{f.name.replace('_', '-')}` {shown}{where}: {meta['note']}")
    out += [
        "",
        (
            f"Measured, read from {m.describe()}: the Rust functions under the benchmark's local "
            "Lambda Runtime API. The AWS calls per invocation are what its fake endpoint counted "
            "(create's with a code sent); each adds a round trip inside AWS to the billed time."
        ),
        "",
        (
            "| function | warm p50 (ms) | cold start (ms) | first invoke (ms) | AWS calls per invocation "
            f"| peak memory (of {inp.memory_mb} MB) |"
        ),
        "|---|---:|---:|---:|---|---:|",
    ]
    for name, t in m.functions.items():
        memory = f"{t.peak_memory_bytes / 1e6:.2f} MB"
        if t.peak_memory_bytes > inp.memory_mb * 1024 * 1024:
            memory += " **more than MemorySize**"
        out.append(f"| {name} | {t.warm_p50} | {t.cold_start} | {t.first_invoke} | {_calls_str(t.calls)} | {memory} |")
    return "\n".join(out)


def as_json(rows: list[dict], inp: Inputs, m: Benchmark) -> str:
    """Rows and inputs (with dates and sources) as JSON; infinite tier bounds become null."""
    inputs = {}
    for f in dataclasses.fields(inp):
        v = getattr(inp, f.name)
        if f.name == "lite_tiers":
            v = [[None if b == math.inf else b, p] for b, p in v]
        inputs[f.name] = {"value": v, **f.metadata}
    measured = {k: dataclasses.asdict(v) for k, v in m.functions.items()}
    benchmark = {"source": m.source, "generated_at": m.generated_at, "commit": m.commit}
    return json.dumps({"rows": rows, "inputs": inputs, "benchmark": benchmark, "measured": measured}, indent=2)


# ---- SMS pumping --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pumping:
    """A pumping bot that signs up fresh numbers and never answers, and the defences' defaults."""

    numbers_per_hour: int = 120  # fresh numbers the bot signs up and sends a code to
    hours: int = 24
    price_usd: float = 0.25  # a premium-rate destination, per SMS part; UNVERIFIED
    min_sends: int = 20  # PumpingBreakerMinSends (per prefix and per region)
    pause_minutes: int = 30  # PumpingBreakerPauseSeconds / 60
    window_minutes: int = 60  # PumpingBreakerWindowSeconds / 60
    new_numbers_per_hour: int = 60  # PoolSmsPerHourNewNumbers


@dataclass(frozen=True)
class Spread:
    """Where the bot's numbers are: round-robin over `prefixes` destination prefixes, which fall in
    `regions` countries (each region has prefixes / regions of them)."""

    name: str
    prefixes: int
    regions: int


SPREADS = (
    Spread("one premium prefix", 1, 1),
    Spread("50 prefixes of one country", 50, 1),
    Spread("50 prefixes in 50 countries", 50, 50),
)

# What the defences are: the prefix breaker alone (before the region breaker and the ceiling),
# and every defence at its default.
PREFIX_ONLY = "prefix"
EVERY_DEFENCE = "all"


def pumped_sms(p: Pumping, breaker: bool, spread: Spread = SPREADS[0], defences: str = EVERY_DEFENCE) -> int:
    """SMS that go out, minute by minute: the bot sends at its rate, round-robin over the spread's
    prefixes, and never answers. With the breaker, a send that brings an area's window (its prefix,
    and with every defence its region) to `min_sends` unanswered codes pauses that area; with
    every defence, the pool's share for never-signed-in numbers caps each clock hour."""
    sent_at: dict[str, list[int]] = {}
    paused_until: dict[str, int] = {}
    per_hour: dict[int, int] = {}
    sent = 0
    n = 0
    for minute in range(p.hours * 60):
        for _ in range(p.numbers_per_hour // 60 + (1 if minute % 60 < p.numbers_per_hour % 60 else 0)):
            prefix = n % spread.prefixes
            n += 1
            areas = [f"prefix {prefix}"]
            if defences == EVERY_DEFENCE:
                areas.append(f"region {prefix % spread.regions}")
            if breaker and any(minute < paused_until.get(a, -1) for a in areas):
                continue
            hour = minute // 60
            if breaker and defences == EVERY_DEFENCE and per_hour.get(hour, 0) >= p.new_numbers_per_hour:
                continue
            per_hour[hour] = per_hour.get(hour, 0) + 1
            sent += 1
            for area in areas:
                times = sent_at.setdefault(area, [])
                times.append(minute)
                in_window = sum(1 for t in times if t > minute - p.window_minutes)
                if breaker and in_window >= p.min_sends and minute >= paused_until.get(area, -1):
                    paused_until[area] = minute + p.pause_minutes
    return sent


def pumping_markdown(p: Pumping, inp: Inputs) -> str:
    cost = lambda n: _usd(n * inp.sms_segments * p.price_usd)
    rows = []
    for spread in SPREADS:
        none = pumped_sms(p, False, spread)
        prefix_only = pumped_sms(p, True, spread, PREFIX_ONLY)
        every = pumped_sms(p, True, spread, EVERY_DEFENCE)
        rows.append(
            f"| {spread.name} | {none:,} ({cost(none)}) | {prefix_only:,} ({cost(prefix_only)}) "
            f"| {every:,} ({cost(every)}) |"
        )
    return "\n".join(
        [
            (
                f"SMS pumping: a bot signs up {p.numbers_per_hour} fresh numbers an hour and never answers, for "
                f"{p.hours} hours (at ${p.price_usd} an SMS, an assumed premium rate). SMS sent, and their cost:"
            ),
            "",
            "| the bot's numbers | no defence | the prefix breaker alone | every defence (defaults) |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            (
                f"Defaults: a breaker trips at {p.min_sends} codes with under 10% answered in "
                f"{p.window_minutes} minutes and pauses {p.pause_minutes} minutes, per prefix and per region; "
                f"the pool sends at most {p.new_numbers_per_hour} SMS an hour to never-signed-in numbers."
            ),
        ]
    )


# ---- command line -----------------------------------------------------------------------------


def parse_tiers(text: str) -> tuple:
    """'100000:0.0055,inf:0.0025' -> ((100000, 0.0055), (inf, 0.0025))."""
    tiers = []
    for part in text.split(","):
        bound, price = part.split(":")
        tiers.append((math.inf if bound.strip() == "inf" else int(bound), float(price)))
    return tuple(tiers)


def build_parser() -> argparse.ArgumentParser:
    """One option per `Inputs` field, so no price or assumption is out of reach."""
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument(
        "--mau", default="10000,100000,1000000", help="comma-separated monthly active user counts, one row each"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    p.add_argument(
        "--benchmark",
        default=DEFAULT_BENCHMARK,
        help="make bench's JSON output, where the functions' durations, AWS calls and memory come from",
    )
    p.add_argument(
        "--write",
        metavar="FILE",
        help="also write the Markdown report to FILE, headed as generated (make cost: docs/cost.md)",
    )
    for f in dataclasses.fields(Inputs):
        flag = "--" + f.name.replace("_", "-")
        meta = f.metadata
        help_ = meta["note"] + (f" [{meta['url']}, as of {meta['as_of']}]" if "url" in meta else "")
        help_ = help_.replace("%", "%%")
        if f.name == "lite_tiers":
            p.add_argument(flag, type=parse_tiers, default=f.default, help=help_ + f" (e.g. {_tiers_str(f.default)})")
        elif isinstance(f.default, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=help_)
        else:
            p.add_argument(flag, type=type(f.default), default=f.default, help=help_)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        inp = Inputs(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Inputs)})
        maus = [float(x) for x in args.mau.split(",") if x.strip()]
        maus = [int(m) if m.is_integer() else m for m in maus]
        bench = load_benchmark(args.benchmark)
    except ValueError as e:
        parser.error(str(e))
    rows = [model(m, inp, bench) for m in maus]
    report = markdown(rows, inp, bench) + "\n\n" + pumping_markdown(Pumping(), inp)
    print(as_json(rows, inp, bench) if args.json else report)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(generated_header(bench, inp) + report + "\n")
        print(f"(wrote {args.write})", file=sys.stderr)
    return 0


def generated_header(m: Benchmark, inp: Inputs) -> str:
    """The head of docs/cost.md: what made it, from what. No date of its own, so the file changes
    only when its inputs do."""
    return (
        "# Cost\n\n"
        "Generated by `make cost` (`tools/cost_model.py`) from the benchmark's "
        "[benchmark.json](benchmark.json) ([benchmark.md](benchmark.md)) and the prices and assumptions "
        f"below, the SMS billed as {inp.sms_segments} segment{'s' if inp.sms_segments != 1 else ''} (what "
        "create-auth-challenge works out for the default templates); do not edit it by hand: run `make cost` "
        "again. What the model counts and leaves out: [SMS pumping and cost, Cost](pumping-and-cost.md#cost).\n\n"
    )


if __name__ == "__main__":
    sys.exit(main())
