//! `cargo xtask docs`: writes the generated parts of the book's reference pages (see the
//! library). `cargo xtask docs --check`: only says which differ, and fails if any does.
//! `cargo xtask cdk [--check]`: the same for the CDK construct's generated files (`cdk/src`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let repo = xtask::repo();
    let result = match args.as_slice() {
        ["docs"] => xtask::write(&repo).map(|changed| {
            for page in &changed {
                println!("xtask: rewrote {page}");
            }
            if changed.is_empty() {
                println!("xtask: the generated parts are up to date");
            }
            true
        }),
        ["docs", "--check"] => xtask::stale(&repo).map(|stale| {
            for page in &stale {
                eprintln!("xtask: {page} differs from the code; run `{}`", xtask::COMMAND);
            }
            stale.is_empty()
        }),
        ["cdk"] => xtask::template(&repo).and_then(|t| xtask::cdk::write(&repo, &t)).map(|changed| {
            for file in &changed {
                println!("xtask: rewrote {file}");
            }
            if changed.is_empty() {
                println!("xtask: the CDK construct's generated files are up to date");
            }
            true
        }),
        ["cdk", "--check"] => xtask::template(&repo).and_then(|t| xtask::cdk::stale(&repo, &t)).map(|stale| {
            for file in &stale {
                eprintln!("xtask: {file} differs from template.yaml and the code; run `{}`", xtask::cdk::COMMAND);
            }
            stale.is_empty()
        }),
        _ => Err("usage: cargo xtask docs [--check] | cargo xtask cdk [--check]".to_owned()),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
