"""Tests for tools/cost_model.py: hand-computed cases, so a wrong tier, a lost rounding or a
miscounted invocation shows up as a wrong number.

The measured figures come from a fixture in the shape of `make bench`'s docs/benchmark.json
(tools/testdata/benchmark.json), never from the live docs/ file, so these tests do not change
when the benchmark is run again.

    python3 -m unittest tools/test_cost_model.py      # from the repository root
"""

import contextlib
import io
import json
import math
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cost_model as cm

FIXTURE = os.path.join(HERE, "testdata", "benchmark.json")
BENCH = cm.load_benchmark(FIXTURE)
DEFINE, CREATE = BENCH["define-auth-challenge"], BENCH["create-auth-challenge"]
VERIFY, PRE = BENCH["verify-auth-challenge"], BENCH["pre-sign-up"]

# Zero cold starts, no new users, one SMS and one round per sign-in, no DynamoDB wait: the
# simplest sign-in.
PLAIN = {
    "cold_start_fraction": 0.0,
    "new_user_fraction": 0.0,
    "sms_per_sign_in": 1.0,
    "extra_rounds_per_sign_in": 0.0,
    "sign_ins_per_user": 1.0,
    "dynamodb_call_ms": 0.0,
}


class Benchmark(unittest.TestCase):
    def test_reads_the_rust_figures_and_calls(self):
        self.assertEqual((CREATE.warm_p50, CREATE.cold_start, CREATE.first_invoke), (0.178, 1.383, 0.952))
        self.assertEqual(CREATE.count("DynamoDB"), 5)
        self.assertEqual(CREATE.count("DynamoDB", cm.DYNAMODB_WRITES), 2)
        self.assertEqual(CREATE.count("DynamoDB", cm.DYNAMODB_READS), 3)
        self.assertEqual(CREATE.count("SNS"), 1)
        self.assertEqual(VERIFY.count("DynamoDB", cm.DYNAMODB_WRITES), 2)
        self.assertEqual(DEFINE.count("DynamoDB"), 0)
        self.assertEqual(PRE.peak_memory_bytes, 3_200_000)
        self.assertEqual(BENCH.commit, "0123456789abcdef0123456789abcdef01234567")

    def test_the_peers_figures_are_not_used(self):
        # The fixture's Node.js create makes one SNS call at 0.72 ms; the Rust one is read.
        self.assertEqual(CREATE.warm_p50, 0.178)

    def write(self, data) -> str:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(data, f)
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_a_missing_function_is_refused(self):
        with open(FIXTURE, encoding="utf-8") as f:
            data = json.load(f)
        del data["functions"]["verify-auth-challenge"]
        with self.assertRaisesRegex(ValueError, "no figures for verify-auth-challenge"):
            cm.load_benchmark(self.write(data))

    def test_a_missing_figure_is_refused(self):
        with open(FIXTURE, encoding="utf-8") as f:
            data = json.load(f)
        del data["functions"]["create-auth-challenge"]["rust"]["warm_p50_ms"]
        with self.assertRaisesRegex(ValueError, "create-auth-challenge.rust lacks a figure"):
            cm.load_benchmark(self.write(data))

    def test_a_missing_file_says_to_run_the_benchmark(self):
        with self.assertRaisesRegex(ValueError, "make bench"):
            cm.load_benchmark(os.path.join(HERE, "testdata", "no-such-file.json"))


class BilledDuration(unittest.TestCase):
    def test_rounds_up_to_whole_ms(self):
        self.assertEqual(cm.billed_ms(0.2), 1)
        self.assertEqual(cm.billed_ms(1.0), 1)
        self.assertEqual(cm.billed_ms(1.0001), 2)
        self.assertEqual(cm.billed_ms(0.178 + 30), 31)

    def test_at_least_one_ms(self):
        self.assertEqual(cm.billed_ms(0.0), 1)

    def test_float_noise_does_not_bill_an_extra_ms(self):
        self.assertEqual(cm.billed_ms(0.1 * 3 * 10), 3)  # 3.0000000000000004

    def test_cold_invocations_bill_init_plus_first_invoke(self):
        inp = cm.Inputs(cold_start_fraction=1.0)
        self.assertEqual(cm.expected_billed_ms(DEFINE, inp), 2)  # ceil(1.033 + 0.090)
        self.assertEqual(cm.expected_billed_ms(CREATE, inp, 30), 33)  # ceil(1.383 + 0.952 + 30)
        half = cm.Inputs(cold_start_fraction=0.5)
        self.assertAlmostEqual(cm.expected_billed_ms(DEFINE, half), 1.5)  # (1 + 2) / 2

    def test_duration_scale_applies_to_measured_time_not_to_aws(self):
        inp = cm.Inputs(cold_start_fraction=0.0, duration_scale=10)
        self.assertEqual(cm.expected_billed_ms(CREATE, inp), 2)  # ceil(1.78)
        self.assertEqual(cm.expected_billed_ms(CREATE, inp, 30), 32)  # ceil(1.78 + 30)


class AwsWait(unittest.TestCase):
    def test_a_round_trip_per_counted_call(self):
        inp = cm.Inputs()  # SNS 30 ms, DynamoDB 5 ms
        self.assertEqual(cm.aws_wait_ms(CREATE, inp), 30 + 5 * 5)  # Publish, 2 GetItem, Query, 2 UpdateItem
        self.assertEqual(cm.aws_wait_ms(VERIFY, inp), 2 * 5)  # DeleteItem, UpdateItem
        self.assertEqual(cm.aws_wait_ms(DEFINE, inp), 0)

    def test_verify_bills_its_dynamodb_round_trips(self):
        inp = cm.Inputs(cold_start_fraction=0.0)
        self.assertEqual(cm.expected_billed_ms(VERIFY, inp, cm.aws_wait_ms(VERIFY, inp)), 11)  # ceil(0.030 + 10)


class CognitoTiers(unittest.TestCase):
    def lite(self, mau, free=10_000):
        return cm.tiered_cost(mau, free, cm.LITE_TIERS)

    def test_free_tier(self):
        self.assertEqual(self.lite(0), 0)
        self.assertEqual(self.lite(10_000), 0)
        self.assertAlmostEqual(self.lite(10_001), 0.0055)

    def test_tier_boundaries(self):
        self.assertAlmostEqual(self.lite(100_000), 90_000 * 0.0055)  # 495
        self.assertAlmostEqual(self.lite(100_001), 495 + 0.0046)
        self.assertAlmostEqual(self.lite(1_000_000), 495 + 900_000 * 0.0046)  # 4,635
        self.assertAlmostEqual(self.lite(1_000_001), 4635 + 0.00325)
        self.assertAlmostEqual(self.lite(10_000_000), 4635 + 9_000_000 * 0.00325)  # 33,885
        self.assertAlmostEqual(self.lite(10_001_000), 33_885 + 1000 * 0.0025)

    def test_larger_free_tier_shortens_the_first_paid_tier(self):
        self.assertAlmostEqual(self.lite(100_000, free=50_000), 50_000 * 0.0055)  # 275
        self.assertEqual(self.lite(150_000, free=200_000), 0)

    def test_essentials_is_flat_above_its_free_tier(self):
        row = cm.model(100_000, cm.Inputs(), BENCH)
        self.assertAlmostEqual(row["cognito_essentials_usd"], 90_000 * 0.015)  # 1,350
        self.assertEqual(cm.model(10_000, cm.Inputs(), BENCH)["cognito_essentials_usd"], 0)

    def test_parse_tiers(self):
        self.assertEqual(cm.parse_tiers("100000:0.0055,inf:0.0025"), ((100_000, 0.0055), (math.inf, 0.0025)))


class Invocations(unittest.TestCase):
    def test_first_try_sign_in_is_four_invocations(self):
        self.assertEqual(
            cm.invocations_per_sign_in(0),
            {"define-auth-challenge": 2, "create-auth-challenge": 1, "verify-auth-challenge": 1},
        )

    def test_each_extra_round_adds_verify_define_create(self):
        self.assertEqual(sum(cm.invocations_per_sign_in(1).values()), 7)
        self.assertEqual(cm.invocations_per_sign_in(1)["define-auth-challenge"], 3)

    def test_requests_include_pre_sign_up_per_new_user(self):
        inp = cm.Inputs(**{**PLAIN, "new_user_fraction": 0.5})
        requests, _ = cm.lambda_usage(1000, inp, BENCH)
        self.assertAlmostEqual(requests, 1000 * 4 + 500)


class LambdaCost(unittest.TestCase):
    def test_small_case_by_hand(self):
        # 1,000 sign-ins: define 2 x 1 ms, verify 1 ms, create with SMS ceil(0.178 + 30) = 31 ms.
        inp = cm.Inputs(**PLAIN)
        requests, gb_s = cm.lambda_usage(1000, inp, BENCH)
        self.assertAlmostEqual(requests, 4000)
        self.assertAlmostEqual(gb_s, 1000 * 0.034 * 128 / 1024)  # 4.25 GB-s
        self.assertAlmostEqual(cm.lambda_cost(requests, gb_s, inp), 4000 * 0.20 / 1e6 + 4.25 * 0.0000133334)

    def test_dynamodb_round_trips_add_to_creates_that_send_and_to_verify(self):
        # At 5 ms a call: create with SMS ceil(0.178 + 30 + 25) = 56 ms instead of 31, verify
        # ceil(0.030 + 10) = 11 instead of 1: 35 ms more per sign-in.
        base = cm.lambda_usage(1000, cm.Inputs(**PLAIN), BENCH)[1]
        with_calls = cm.lambda_usage(1000, cm.Inputs(**{**PLAIN, "dynamodb_call_ms": 5.0}), BENCH)[1]
        self.assertAlmostEqual(with_calls - base, 1000 * 0.035 * 128 / 1024)

    def test_create_rounds_without_sms_do_not_wait_for_aws(self):
        # One extra round, still one SMS: a second create of 1 ms, plus a define and a verify.
        inp = cm.Inputs(**{**PLAIN, "extra_rounds_per_sign_in": 1.0})
        _, gb_s = cm.lambda_usage(1000, inp, BENCH)
        self.assertAlmostEqual(gb_s, 1000 * (3 + 2 + 31 + 1) / 1000 * 0.125)
        # With DynamoDB at 5 ms: both verifies wait 10 ms (11 each), the sending create 25 ms
        # more (56); the second create still 1.
        inp = cm.Inputs(**{**PLAIN, "extra_rounds_per_sign_in": 1.0, "dynamodb_call_ms": 5.0})
        _, gb_s = cm.lambda_usage(1000, inp, BENCH)
        self.assertAlmostEqual(gb_s, 1000 * (3 + 22 + 56 + 1) / 1000 * 0.125)

    def test_defaults_by_hand(self):
        # 5% cold. define: 0.95 x 1 + 0.05 x ceil(1.123) = 1.05, 2.2 a sign-in. verify: 0.95 x 11
        # + 0.05 x ceil(1.161 + 10) = 11.05, 1.2 a sign-in. create that sends: 0.95 x 56 + 0.05 x
        # ceil(2.335 + 55) = 56.1, 1.1 a sign-in; the other 0.1: 0.95 x 1 + 0.05 x ceil(2.335) =
        # 1.1. pre-sign-up 1.05 per new user (0.1 per MAU).
        per_sign_in = 2.2 * 1.05 + 1.2 * 11.05 + 1.1 * 56.1 + 0.1 * 1.1  # 77.39 ms
        requests, gb_s = cm.lambda_usage(10_000, cm.Inputs(), BENCH)
        self.assertAlmostEqual(requests, 40_000 * 4.6 + 1_000)
        self.assertAlmostEqual(gb_s, (40_000 * per_sign_in + 1_000 * 1.05) / 1000 * 0.125)

    def test_free_tier_off_by_default(self):
        self.assertFalse(cm.Inputs().lambda_free_tier)
        self.assertAlmostEqual(cm.lambda_cost(1000, 10, cm.Inputs()), 1000 * 0.2 / 1e6 + 10 * 0.0000133334)

    def test_free_tier_when_on(self):
        inp = cm.Inputs(lambda_free_tier=True)
        self.assertEqual(cm.lambda_cost(1_000_000, 400_000, inp), 0)
        self.assertAlmostEqual(
            cm.lambda_cost(1_500_000, 500_000, inp), 500_000 * 0.2 / 1e6 + 100_000 * 0.0000133334
        )  # 1.43334


class DynamoDBCost(unittest.TestCase):
    def test_requests_by_hand(self):
        # 40,000 sign-ins: 44,000 SMS (creates that send: 2 writes, 3 reads each) and 48,000
        # verifies (2 writes each).
        writes, reads = cm.dynamodb_requests(10_000, cm.Inputs(), BENCH)
        self.assertAlmostEqual(writes, 44_000 * 2 + 48_000 * 2)  # 184,000
        self.assertAlmostEqual(reads, 44_000 * 3)  # 132,000

    def test_a_batch_read_is_billed_per_key(self):
        batched = cm.Timing(1.0, 1.0, 1.0, calls={"DynamoDB.BatchGetItem": 1, "DynamoDB.GetItem": 1})
        bench = cm.Benchmark({**BENCH.functions, "create-auth-challenge": batched})
        inp = cm.Inputs(read_units_per_batch_get=28)
        _, reads = cm.dynamodb_requests(10_000, inp, bench)
        self.assertAlmostEqual(reads, 44_000 * (28 + 1))
        _, fewer = cm.dynamodb_requests(10_000, cm.Inputs(read_units_per_batch_get=2), bench)
        self.assertAlmostEqual(fewer, 44_000 * (2 + 1))

    def test_cost_by_hand(self):
        row = cm.model(10_000, cm.Inputs(), BENCH)
        self.assertAlmostEqual(row["dynamodb_usd"], 184_000 * 0.625 / 1e6 + 132_000 * 0.125 / 1e6)  # 0.1315


class Rows(unittest.TestCase):
    def test_ten_thousand_mau_with_defaults(self):
        row = cm.model(10_000, cm.Inputs(), BENCH)
        self.assertEqual(row["sign_ins"], 40_000)
        self.assertAlmostEqual(row["sms"], 44_000)
        self.assertAlmostEqual(row["sms_usd"], 44_000 * 0.00883)  # 388.52
        self.assertEqual(row["cognito_lite_usd"], 0)
        self.assertAlmostEqual(row["project_total_usd"], row["sms_usd"] + row["lambda_usd"] + row["dynamodb_usd"])
        self.assertAlmostEqual(row["difference_usd"], -row["lambda_usd"] - row["dynamodb_usd"])

    def test_one_million_mau_difference(self):
        row = cm.model(1_000_000, cm.Inputs(sms_price_usd=0.0), BENCH)
        self.assertAlmostEqual(row["dynamodb_usd"], 13.15)  # 100 x the 10,000 MAU case
        self.assertAlmostEqual(row["difference_usd"], 14_850 - 4_635 - row["lambda_usd"] - row["dynamodb_usd"])

    def test_sms_beyond_rounds_is_refused(self):
        with self.assertRaises(ValueError):
            cm.Inputs(sms_per_sign_in=1.5, extra_rounds_per_sign_in=0.2)
        with self.assertRaises(ValueError):
            cm.Inputs(cold_start_fraction=1.5)


class CommandLine(unittest.TestCase):
    def run_main(self, *argv):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(cm.main(["--benchmark", FIXTURE, *argv]), 0)
        return out.getvalue()

    def test_overrides_reach_the_model(self):
        data = json.loads(
            self.run_main(
                "--json",
                "--mau",
                "20000",
                "--sms-price-usd",
                "0.01",
                "--sign-ins-per-user",
                "2",
                "--lite-free-mau",
                "0",
            )
        )
        (row,) = data["rows"]
        self.assertEqual(row["mau"], 20_000)
        self.assertAlmostEqual(row["sms_usd"], 20_000 * 2 * 1.1 * 0.01)  # 440
        self.assertAlmostEqual(row["cognito_lite_usd"], 20_000 * 0.0055)  # 110
        self.assertEqual(data["inputs"]["sms_price_usd"]["value"], 0.01)
        self.assertIn("url", data["inputs"]["essentials_price_per_mau"])
        self.assertIsNone(data["inputs"]["lite_tiers"]["value"][-1][0])
        self.assertEqual(data["measured"]["create-auth-challenge"]["warm_p50"], 0.178)
        self.assertEqual(data["benchmark"]["generated_at"], "2026-01-02T03:04:05Z")

    def test_every_input_has_an_option(self):
        text = self.run_main("--mau", "10000")
        for f in cm.dataclasses.fields(cm.Inputs):
            self.assertIn(f"`--{f.name.replace('_', '-')}`", text)

    def test_markdown_default_rows(self):
        lines = self.run_main().splitlines()
        self.assertTrue(lines[0].startswith("| MAU | sign-ins |"))
        self.assertTrue(lines[2].startswith("| 10,000 | 40,000 | 44,000 | $388.52 | $0.04 | $0.13 |"))
        self.assertTrue(lines[4].startswith("| 1,000,000 |"))

    def test_markdown_shows_the_measured_figures_and_their_source(self):
        text = self.run_main()
        self.assertIn("tools/testdata/benchmark.json (make bench of 2026-01-02T03:04:05Z, commit 0123456789ab)", text)
        self.assertIn(
            "| verify-auth-challenge | 0.03 | 1.067 | 0.094 | DynamoDB.DeleteItem ×1, "
            "DynamoDB.UpdateItem ×1 | 6.13 MB |",
            text,
        )

    def test_write_puts_the_report_under_a_generated_header(self):
        with tempfile.TemporaryDirectory() as d:
            target = os.path.join(d, "cost.md")
            with contextlib.redirect_stderr(io.StringIO()):
                printed = self.run_main("--write", target)
            with open(target, encoding="utf-8") as f:
                written = f.read()
        self.assertTrue(written.startswith("# Cost\n\nGenerated by `make cost`"))
        self.assertTrue(written.endswith(printed))

    def test_lambda_free_tier_flag(self):
        data = json.loads(self.run_main("--json", "--mau", "10000", "--lambda-free-tier"))
        self.assertEqual(data["rows"][0]["lambda_usd"], 0)


class PumpingBreaker(unittest.TestCase):
    def test_a_bot_at_a_code_a_minute_gets_forty_sms_in_two_hours_not_120(self):
        # Minutes 0-19: 20 codes, the 20th trips (pause to 49). Minute 49: the window still holds
        # 20, so the 21st trips again (to 79). From 79 the window has room: 79-97 is 19 more, and
        # the one at 97 makes 20 in the window (49, 79..97): paused past the end.
        p = cm.Pumping(numbers_per_hour=60, hours=2)
        self.assertEqual(cm.pumped_sms(p, breaker=False), 120)
        self.assertEqual(cm.pumped_sms(p, breaker=True), 40)
        self.assertEqual(cm.pumped_sms(p, breaker=True, defences=cm.PREFIX_ONLY), 40)

    def test_spreading_over_prefixes_of_a_country_meets_the_region_breaker(self):
        p = cm.Pumping(numbers_per_hour=60, hours=2)
        spread = cm.Spread("50 prefixes of one country", 50, 1)
        # Each prefix gets fewer codes than the minimum: the prefix breaker never trips...
        self.assertEqual(cm.pumped_sms(p, True, spread, cm.PREFIX_ONLY), 120)
        # ...the country's does, as for one prefix.
        self.assertEqual(cm.pumped_sms(p, True, spread, cm.EVERY_DEFENCE), 40)

    def test_spreading_over_countries_meets_the_pool_ceiling(self):
        p = cm.Pumping(numbers_per_hour=600, hours=2, new_numbers_per_hour=200)
        spread = cm.Spread("200 prefixes in 200 countries", 200, 200)
        # 3 codes an hour per country: no breaker trips; the pool's share caps each hour.
        self.assertEqual(cm.pumped_sms(p, True, spread, cm.PREFIX_ONLY), 1200)
        self.assertEqual(cm.pumped_sms(p, True, spread, cm.EVERY_DEFENCE), 400)

    def test_segments_multiply_the_sms_bill(self):
        one = cm.model(1000, cm.Inputs(**PLAIN), BENCH)
        two = cm.model(1000, cm.Inputs(**PLAIN, sms_segments=2), BENCH)
        self.assertAlmostEqual(two["sms_usd"], 2 * one["sms_usd"])


if __name__ == "__main__":
    unittest.main()
