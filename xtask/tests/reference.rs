//! The book's generated parts against the code: each test fails when its committed page differs
//! from what `cargo xtask docs` would write, and says to run it.

fn assert_current(name: &str) {
    let repo = xtask::repo();
    let parts = xtask::parts(&repo).unwrap_or_else(|e| panic!("generating the reference: {e}"));
    let part = parts.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no generated part {name}"));
    let page = std::fs::read_to_string(repo.join(part.page)).unwrap_or_else(|e| panic!("{}: {e}", part.page));
    let filled = xtask::fill(&page, part).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        filled == page,
        "{} is out of date with the code (its generated `{name}` part): run `{}` and commit the page",
        part.page,
        xtask::COMMAND
    );
}

#[test]
fn configuration_page_matches_settings_and_template() {
    assert_current("configuration");
}

#[test]
fn errors_page_matches_trigger_errors() {
    assert_current("errors");
}

#[test]
fn operations_page_matches_the_metrics() {
    assert_current("metrics");
}

#[test]
fn cdk_files_match_the_template_and_settings() {
    let repo = xtask::repo();
    let template = xtask::template(&repo).unwrap_or_else(|e| panic!("{e}"));
    let stale = xtask::cdk::stale(&repo, &template).unwrap_or_else(|e| panic!("generating the CDK files: {e}"));
    assert!(
        stale.is_empty(),
        "{stale:?} out of date with template.yaml and the code: run `{}` and commit",
        xtask::cdk::COMMAND
    );
}
