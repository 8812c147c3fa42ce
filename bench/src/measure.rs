//! The runs: each trigger's starts (the three implementations interleaved) and warm invokes,
//! with the AWS calls each invoke made; the sizes of what is deployed; the whole cold sign-in.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::fake_aws::{Calls, FakeAws};
use crate::harness::{self, Measured};
use crate::options::{Options, SIGN_IN, TRIGGERS, Trigger};
use crate::runners::{LANGS, Lang, Runners};

/// One trigger's figures, by implementation (Rust, Node.js, Python).
pub struct TriggerRun {
    pub measured: [Measured; 3],
    /// The AWS calls one invoke made, the same for every invoke.
    pub calls_per_invoke: Vec<Vec<(String, u64)>>,
}

/// Measures trigger `t`: `o.starts` cold starts (the peers `o.peer_starts`), the three
/// implementations taking turns, then `o.warm` warm invokes of each. Progress on stderr.
pub fn trigger(runners: &Runners, aws: &FakeAws, o: &Options, t: &Trigger) -> Result<TriggerRun, String> {
    eprint!("{}:", t.binary);
    let event = std::fs::read(Path::new("events").join(t.event)).map_err(|e| format!("{}: {e}", t.event))?;
    let bootstrap = runners.artifact(Lang::Rust, t);
    if !bootstrap.exists() {
        return Err(format!("{} is missing: run `make build-local` (sam build) first", bootstrap.display()));
    }
    // The starts of the three interleaved, so that the load of this shared machine, which
    // drifts, weighs on all three alike; then each one's warm invokes.
    let mut measured: [Measured; 3] = Default::default();
    let mut calls: [Calls; 3] = Default::default();
    let mut invokes = [0u64; 3];
    let mut run = |l: usize, starts: usize, warm: usize| -> Result<Measured, String> {
        let lang = LANGS[l];
        let before = aws.calls();
        let m = harness::measure(&runners.launch(lang, t), &event, starts, warm, &t.check)
            .map_err(|e| format!("{} ({}): {e}", t.binary, lang.name()))?;
        for (call, n) in aws.calls_since(&before) {
            *calls[l].entry(call).or_default() += n;
        }
        invokes[l] += (starts + warm) as u64;
        Ok(m)
    };
    // One start of each first, not counted: the first run after a build reads the binary
    // (or the scripts and node_modules) from disk, and that is the disk, not the function.
    for l in 0..LANGS.len() {
        run(l, 1, 0)?;
    }
    for round in 0..o.starts.max(o.peer_starts) {
        for (l, lang) in LANGS.into_iter().enumerate() {
            if round < o.starts_of(lang) {
                let m = run(l, 1, 0)?;
                measured[l].cold_starts.extend(m.cold_starts);
                measured[l].first_invokes.extend(m.first_invokes);
            }
        }
        if round % 5 == 0 {
            eprint!(".");
        }
    }
    for (l, lang) in LANGS.into_iter().enumerate() {
        eprint!(" {}", lang.name());
        let m = run(l, 1, o.warm)?;
        measured[l].warm = m.warm;
        measured[l].peak_rss = m.peak_rss;
    }
    let mut calls_per_invoke = Vec::new();
    for (l, lang) in LANGS.into_iter().enumerate() {
        let per_invoke =
            per_invoke(&calls[l], invokes[l]).map_err(|e| format!("{} ({}): {e}", t.binary, lang.name()))?;
        let published = per_invoke.iter().find(|(c, _)| c == "SNS.Publish").map_or(0, |(_, n)| *n);
        if published != u64::from(t.sends_sms) {
            return Err(format!("{} ({}): {published} SMS per invoke", t.binary, lang.name()));
        }
        calls_per_invoke.push(per_invoke);
    }
    eprintln!(", done");
    Ok(TriggerRun { measured, calls_per_invoke })
}

/// The size of what each implementation deploys of trigger `t`, and of it zipped.
pub fn sizes(runners: &Runners, t: &Trigger) -> Result<[(u64, u64); 3], String> {
    let sizes = LANGS.map(|lang| {
        let file = runners.artifact(lang, t);
        let size = std::fs::metadata(&file).map(|m| m.len()).map_err(|e| format!("{}: {e}", file.display()))?;
        Ok::<_, String>((size, zipped(&file)?))
    });
    let [rust_size, node_size, python_size] = sizes;
    Ok([rust_size?, node_size?, python_size?])
}

/// The whole cold sign-in, [`SIGN_IN`]'s steps each a fresh process: each step's "from cold"
/// time and their sum per sign-in, by implementation. None with `--only`.
pub struct ColdSignIn {
    pub sign_ins: usize,
    pub steps: Vec<[Vec<Duration>; 3]>,
    pub wholes: [Vec<Duration>; 3],
}

pub fn cold_sign_in(runners: &Runners, o: &Options) -> Result<ColdSignIn, String> {
    // The whole cold sign-in: each step a fresh process, the three implementations in turn.
    eprint!("cold sign-in:");
    let mut steps: Vec<[Vec<Duration>; 3]> = SIGN_IN.iter().map(|_| Default::default()).collect();
    let mut wholes: [Vec<Duration>; 3] = Default::default();
    let sign_ins = if o.only.is_some() { 0 } else { o.starts.max(o.peer_starts) };
    for round in 0..sign_ins {
        for (l, lang) in LANGS.into_iter().enumerate() {
            if round >= o.starts_of(lang) {
                continue;
            }
            let mut whole = Duration::ZERO;
            for (s, step) in SIGN_IN.iter().enumerate() {
                let t = &TRIGGERS[step.trigger];
                let event =
                    std::fs::read(Path::new("events").join(step.event)).map_err(|e| format!("{}: {e}", step.event))?;
                let m = harness::measure(&runners.launch(lang, t), &event, 1, 0, &step.check)
                    .map_err(|e| format!("cold sign-in, {} ({}): {e}", step.name, lang.name()))?;
                let cold = from_cold(&m).first().copied().unwrap_or_default();
                steps[s][l].push(cold);
                whole += cold;
            }
            wholes[l].push(whole);
        }
        eprint!(".");
    }
    eprintln!(" done");
    Ok(ColdSignIn { sign_ins, steps, wholes })
}

/// Cold start plus first invoke, per start.
pub fn from_cold(m: &Measured) -> Vec<Duration> {
    m.cold_starts.iter().zip(&m.first_invokes).map(|(c, f)| *c + *f).collect()
}

/// The calls each invoke made, when every invoke made the same ones; unknown calls are errors.
pub fn per_invoke(calls: &Calls, invokes: u64) -> Result<Vec<(String, u64)>, String> {
    calls
        .iter()
        .map(|(call, n)| {
            if call.starts_with("unknown.") {
                Err(format!("{n} calls the fake AWS endpoint does not know: {call}"))
            } else if n % invokes != 0 {
                Err(format!("{n} {call} calls for {invokes} invokes"))
            } else {
                Ok((call.clone(), n / invokes))
            }
        })
        .collect()
}

/// The size of `file` deflated in a zip, as Lambda would receive it.
pub fn zipped(file: &Path) -> Result<u64, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("bootstrap");
    zip.start_file(name, options).map_err(|e| e.to_string())?;
    zip.write_all(&bytes).map_err(|e| e.to_string())?;
    Ok(zip.finish().map_err(|e| e.to_string())?.into_inner().len() as u64)
}
