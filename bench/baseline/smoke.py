#!/usr/bin/env python3
"""Smoke check (and informal timing) of the Python baseline triggers under awslambdaric.

Standard library only. Starts, on 127.0.0.1 with random ports:
  - a minimal Lambda Runtime API per function (GET .../invocation/next, POST .../response|error,
    POST .../init/error),
  - a minimal fake Amazon SNS (answers every POST with a PublishResponse and records it),
then spawns each trigger as `python -m awslambdaric <module>.handler`, serves it sample events
from events/, checks the answers, times cold start (spawn until the first GET /next), the first
invoke and warm invokes, reads peak RSS (VmHWM), kills everything and exits. Bounded: a watchdog
ends the run after 55 s.

    .venv/bench/bin/python bench/baseline/smoke.py            # the four Python baselines
    .venv/bench/bin/python bench/baseline/smoke.py --warm 200  # more warm invokes
    # the same checks and timings for another runtime's executable, e.g. a Rust bootstrap:
    .venv/bench/bin/python bench/baseline/smoke.py --bootstrap define-auth-challenge=target/lambda/define-auth-challenge/bootstrap

Exit status 0 when every check passed.
"""

import argparse
import http.client
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
EVENTS = REPO / "events"
DEADLINE_S = 55
PREFIX = "/2018-06-01/runtime"

FUNCTIONS = {
    "pre-sign-up": "pre_sign_up",
    "define-auth-challenge": "define_auth_challenge",
    "create-auth-challenge": "create_auth_challenge",
    "verify-auth-challenge": "verify_auth_challenge",
}

children = []  # every process we started, killed on exit
failures = []


def check(ok, what):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def watchdog():
    time.sleep(DEADLINE_S)
    print(f"smoke: still running after {DEADLINE_S} s, giving up", file=sys.stderr)
    kill_children()
    os._exit(2)


def kill_children():
    for p in children:
        if p.poll() is None:
            p.kill()
    for p in children:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no Nagle (headers and body go out as separate writes; with Nagle and
    the peer's delayed ACK every warm answer would wait ~40 ms), no access log."""

    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A killed function drops its connection mid-request; that is expected here.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


# ---------------------------------------------------------------- fake SNS


class FakeSns:
    """Answers every POST like SNS Publish; keeps what was "sent"."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        sns = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                form = dict(urllib.parse.parse_qsl(body.decode()))
                with sns.lock:
                    sns.messages.append(form)
                reply = (
                    '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
                    f"<PublishResult><MessageId>{uuid.uuid4()}</MessageId></PublishResult>"
                    f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
                    "</PublishResponse>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(reply)))
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                self.end_headers()
                self.wfile.write(reply)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.messages)

    def last(self):
        with self.lock:
            return self.messages[-1] if self.messages else None


# ---------------------------------------------------------------- Runtime API


class RuntimeApi:
    """One function's Lambda Runtime API: hands out queued events, collects the answers."""

    def __init__(self):
        self.events = queue.Queue()
        self.results = queue.Queue()
        self.first_next = None  # perf_counter() of the first GET /next
        self.sent_at = None  # perf_counter() when the last event was handed out
        self.init_error = None
        self.stopping = False
        api = self

        class Handler(QuietHandler):
            def reply(self, status, body=b"{}"):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self.reply(404)
                if api.first_next is None:
                    api.first_next = time.perf_counter()
                while True:
                    try:
                        request_id, body = api.events.get(timeout=0.2)
                        break
                    except queue.Empty:
                        if api.stopping:
                            return self.reply(500)
                api.sent_at = time.perf_counter()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 5000))
                self.send_header(
                    "Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:smoke",
                )
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                received_at = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = self.path[len(PREFIX) :].strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_error = body.decode(errors="replace")
                    api.results.put(("init-error", api.init_error, received_at))
                    return self.reply(202)
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    try:
                        payload = json.loads(body)
                    except ValueError:
                        payload = body.decode(errors="replace")
                    api.results.put((parts[2], payload, received_at))
                    return self.reply(202)
                self.reply(404)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, event_bytes, timeout=10):
        """Queues one event; returns (kind, payload, seconds from handing it out to the answer)."""
        self.events.put((str(uuid.uuid4()), event_bytes))
        kind, payload, received_at = self.results.get(timeout=timeout)
        return kind, payload, received_at - self.sent_at


# ---------------------------------------------------------------- the run


def load(trigger, scenario):
    return (EVENTS / trigger / f"{scenario}.json").read_bytes()


def vm_hwm_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def start(trigger, api, sns, python, bootstrap, extra_env):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONDONTWRITEBYTECODE": "1",  # keep bench/baseline free of __pycache__
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_ENDPOINT_URL": sns.url,
        # Lambda sets both; boto3 reads only AWS_DEFAULT_REGION (NoRegionError without it).
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_LAMBDA_FUNCTION_NAME": trigger,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    }
    env.update(extra_env)
    if bootstrap:
        cmd, cwd = [str(Path(bootstrap).resolve())], str(REPO)
    else:
        cmd, cwd = [python, "-m", "awslambdaric", f"{FUNCTIONS[trigger]}.handler"], str(HERE)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL if not VERBOSE else None,
        stderr=subprocess.DEVNULL if not VERBOSE else None,
    )
    children.append(proc)
    return proc, t0


def wait_ready(api, proc, t0, timeout=15):
    end = time.time() + timeout
    while api.first_next is None and api.init_error is None and proc.poll() is None and time.time() < end:
        time.sleep(0.0005)
    return None if api.first_next is None else api.first_next - t0


def run_function(trigger, scenarios, main_scenario, extra_env, sns, args):
    """scenarios: list of (scenario, check(kind, payload, sms_before) -> None)."""
    print(f"== {trigger}")
    api = RuntimeApi()
    proc, t0 = start(trigger, api, sns, args.python, args.bootstrap.get(trigger), extra_env)
    cold = wait_ready(api, proc, t0)
    check(cold is not None, f"ready (first GET /next){'' if cold is not None else ': ' + str(api.init_error)}")
    if cold is None:
        proc.kill()
        return None
    first = None
    for scenario, verify in scenarios:
        before = sns.count()
        try:
            kind, payload, took = api.invoke(load(trigger, scenario))
        except queue.Empty:
            check(False, f"{scenario}: no answer within 10 s")
            continue
        if first is None:
            first = took
        verify(kind, payload, before)
    event = load(trigger, main_scenario)
    warm = []
    for _ in range(args.warm):
        kind, payload, took = api.invoke(event)
        if kind != "response":
            check(False, f"warm {main_scenario}: {kind} {payload}")
            break
        warm.append(took)
    hwm = vm_hwm_kb(proc.pid)
    api.stopping = True
    proc.kill()
    proc.wait(timeout=5)
    api.server.shutdown()
    check(proc.returncode is not None, "process ended")
    return {
        "cold_ms": cold * 1000,
        "first_ms": first * 1000 if first else None,
        "warm": warm,
        "hwm_kb": hwm,
        "main": main_scenario,
    }


def expect_response(scenario, **fields):
    def verify(kind, payload, _):
        if kind != "response":
            return check(False, f"{scenario}: expected a response, got {kind}: {payload}")
        got = {k: payload["response"].get(k) for k in fields}
        check(got == fields, f"{scenario}: response {got}")

    return scenario, verify


def expect_error(scenario, needle):
    def verify(kind, payload, _):
        message = payload.get("errorMessage", "") if isinstance(payload, dict) else str(payload)
        check(kind == "error" and needle in message, f"{scenario}: error mentioning {needle!r} ({message!r})")

    return scenario, verify


def create_scenario(scenario, sms, **public):
    def verify(kind, payload, sms_before):
        if kind != "response":
            return check(False, f"{scenario}: expected a response, got {kind}: {payload}")
        r = payload["response"]
        pub, priv, meta = (
            r.get("publicChallengeParameters") or {},
            r.get("privateChallengeParameters") or {},
            r.get("challengeMetadata") or "",
        )
        check(all(pub.get(k) == v for k, v in public.items()) and len(pub) == 6, f"{scenario}: public parameters {pub}")
        code = priv.get("code", "")
        check(
            code.isdigit() and len(code) == int(pub.get("codeLength", 0)) and priv.get("expiresAt", "").isdigit(),
            f"{scenario}: private parameters hold a {len(code)}-digit code and expiresAt",
        )
        check(meta.startswith(f"SMSOTP2:{code}:"), f"{scenario}: challengeMetadata SMSOTP2:<code>:...")
        check(code not in json.dumps(pub), f"{scenario}: code not in the public parameters")
        sent = sns.count() - sms_before
        check(sent == sms, f"{scenario}: {sent} SMS (want {sms})")
        if sms:
            m = sns.last()
            check(
                m.get("Action") == "Publish"
                and m.get("PhoneNumber") == "+15555550100"
                and code in m.get("Message", "")
                and m.get("MessageAttributes.entry.1.Name") == "AWS.SNS.SMS.SMSType"
                and m.get("MessageAttributes.entry.1.Value.StringValue") == "Transactional",
                f"{scenario}: SNS Publish to the number, Transactional, code in the text: {m.get('Message')!r}",
            )

    return scenario, verify


def summary(name, r):
    if not r:
        return f"{name:24s} did not start"
    w = sorted(r["warm"]) or [float("nan")]
    med = statistics.median(w) * 1000
    p90 = w[int(len(w) * 0.9) - 1 if len(w) > 1 else 0] * 1000
    return (
        f"{name:24s} cold {r['cold_ms']:7.1f} ms   first invoke {r['first_ms'] or float('nan'):7.2f} ms   "
        f"warm ({r['main']}, n={len(r['warm'])}) median {med:6.3f} ms  p90 {p90:6.3f} ms  min {w[0] * 1000:6.3f} ms   "
        f"peak RSS {r['hwm_kb'] / 1024 if r['hwm_kb'] else float('nan'):5.1f} MB"
    )


def sns_round_trip_ms(url, n=50):
    """The fake SNS alone, from this process over one keep-alive connection (as the SDKs do):
    about the floor any create warm invoke pays for its Publish."""
    parsed = urllib.parse.urlparse(url)
    body = "Action=Publish&Version=2010-03-31&PhoneNumber=%2B15555550100&Message=x"
    c = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        c.request("POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"})
        c.getresponse().read()
        times.append(time.perf_counter() - t)
    c.close()
    return statistics.median(times) * 1000


VERBOSE = False


def main():
    global VERBOSE
    default_python = REPO / ".venv" / "bench" / "bin" / "python"
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--python",
        default=str(default_python if default_python.exists() else sys.executable),
        help="Python with boto3 and awslambdaric (default: .venv/bench/bin/python)",
    )
    p.add_argument("--warm", type=int, default=50, help="warm invokes per function (default 50)")
    p.add_argument(
        "--bootstrap",
        action="append",
        default=[],
        metavar="TRIGGER=PATH",
        help="run this executable for TRIGGER instead of the Python baseline",
    )
    p.add_argument("--only", action="append", default=[], metavar="TRIGGER", help="run only these triggers")
    p.add_argument("-v", "--verbose", action="store_true", help="show the functions' own output")
    args = p.parse_args()
    args.bootstrap = dict(b.split("=", 1) for b in args.bootstrap)
    VERBOSE = args.verbose
    threading.Thread(target=watchdog, daemon=True).start()

    global sns
    sns = FakeSns()
    started = time.time()
    results = {}
    plan = {
        "pre-sign-up": (
            [
                expect_response("valid-number", autoConfirmUser=True, autoVerifyPhone=True, autoVerifyEmail=False),
                expect_error("invalid-number", "E.164"),
                expect_error("missing-number", "phone number is required"),
                expect_response("valid-number", autoConfirmUser=True, autoVerifyPhone=True),  # still serving
            ],
            "valid-number",
            {},
        ),
        "define-auth-challenge": (
            [
                expect_response(
                    "first-call", challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False
                ),
                expect_response(
                    "wrong-answer", challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False
                ),
                expect_response("correct-answer", issueTokens=True, failAuthentication=False),
                expect_response("max-attempts", issueTokens=False, failAuthentication=True),
                expect_response("resend-past-max-sends", issueTokens=False, failAuthentication=True),
                expect_error("foreign-session-entry", "CUSTOM_CHALLENGE"),
            ],
            "first-call",
            {},
        ),
        "create-auth-challenge": (
            [
                create_scenario(
                    "first-call",
                    1,
                    maskedPhoneNumber="+1******0100",
                    codeLength="6",
                    expiresInSeconds="300",
                    attemptsLeft="3",
                    resendInSeconds="30",
                    sendsLeft="2",
                ),
                create_scenario(
                    "wrong-answer-keeps-code", 0, maskedPhoneNumber="+1******0100", attemptsLeft="2", sendsLeft="2"
                ),
                create_scenario("unknown-user", 0, maskedPhoneNumber="+1******0199", sendsLeft="2"),
                expect_error("wrong-challenge-name", "CUSTOM_CHALLENGE"),
            ],
            "first-call",
            {},
        ),
        "verify-auth-challenge": (
            [
                expect_response("correct", answerCorrect=True),
                expect_response("correct-with-spaces", answerCorrect=True),
                expect_response("expired", answerCorrect=False),
                expect_response("resend", answerCorrect=False),
                expect_error("answer-not-a-string", "must be a string"),
                expect_response("correct", answerCorrect=True),
            ],
            "correct",
            {},
        ),
    }
    try:
        for trigger, (scenarios, main_scenario, env) in plan.items():
            if args.only and trigger not in args.only:
                continue
            results[trigger] = run_function(trigger, scenarios, main_scenario, env, sns, args)
    finally:
        kill_children()
    sns_ms = sns_round_trip_ms(sns.url)
    print(
        "\n== timings (informal; harness overhead included; "
        + ("Python baselines" if not args.bootstrap else f"bootstraps: {', '.join(args.bootstrap)}")
        + ")"
    )
    for trigger, r in results.items():
        print(summary(trigger, r))
    print(f"{'fake SNS round trip':24s} median {sns_ms:.3f} ms (from the harness, one keep-alive connection)")
    print(
        f"\nsmoke: {'PASS' if not failures else 'FAIL (' + str(len(failures)) + ')'} in {time.time() - started:.1f} s"
    )
    sys.exit(0 if not failures else 1)


if __name__ == "__main__":
    main()
