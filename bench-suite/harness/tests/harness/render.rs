//! `polaroid-bench render`: a document's bound figures written from a committed result file, and `--check`'s exit
//! codes (0 agrees, 1 a figure differs from its file, 2 a binding that cannot be read).

use std::path::Path;

use crate::util::{Sandbox, stderr};

#[test]
fn render_writes_bound_figures_and_check_fails_on_a_hand_edit() {
    let s = Sandbox::new();
    let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/trades-ballista-2026-12-01/result.json.gz");
    std::fs::copy(&results, s.path("r.json.gz")).unwrap();
    let doc = s.path("README.md");
    let open = "<!--fig r trades/vwap/default/datafusion median-->";
    std::fs::write(&doc, format!("<!--results r=r.json.gz-->\nVWAP: {open}<!--/fig-->, typed: 5 ms.\n")).unwrap();
    let check = || s.command().args(["render", "--check", "--unbound"]).arg(&doc).output().unwrap();

    let o = check();
    assert_eq!(o.status.code(), Some(1), "an empty figure differs from its file: {}", stderr(&o));
    let o = s.command().arg("render").arg(&doc).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = check();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 bound figure(s), 0 differ"), "{}", stderr(&o));
    let listed = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(listed.contains("README.md:2: 5 ms is typed by hand"), "{listed}");

    // A hand edit of the bound figure: exit code 1, with what the file says.
    let text = std::fs::read_to_string(&doc).unwrap();
    let start = text.find(open).unwrap() + open.len();
    let end = start + text[start..].find("<!--/fig-->").unwrap();
    let figure = text[start..end].to_string();
    std::fs::write(&doc, format!("{}1 ms{}", &text[..start], &text[end..])).unwrap();
    let o = check();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let listed = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(listed.contains(&format!("says \"1 ms\"; its result file says {figure:?}")), "{listed}");

    // A binding naming no result file: exit code 2 and what to write.
    std::fs::write(&doc, "<!--fig q trades/vwap/default/datafusion median-->1 ms<!--/fig-->\n").unwrap();
    let o = check();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("README.md:1: no result file is named `q`"), "{}", stderr(&o));
}
