//! The proto comments are the API reference: every element is documented and
//! docs/api.md is the current rendering of them.

#[test]
fn every_api_element_is_documented() -> anyhow::Result<()> {
    let missing = gascis_testkit::api_docs::undocumented()?;
    assert!(missing.is_empty(), "undocumented:\n{}", missing.join("\n"));
    Ok(())
}

#[test]
fn the_reference_page_is_current() -> anyhow::Result<()> {
    let rendered = gascis_testkit::api_docs::render()?;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/api.md");
    if std::env::var_os("UPDATE_API_DOCS").is_some() {
        std::fs::write(&path, &rendered)?;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "docs/api.md is stale: run `UPDATE_API_DOCS=1 cargo test -p gascis-testkit --test api_docs`"
    );
    Ok(())
}
