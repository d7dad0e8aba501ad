//! Rendering, driven through the real binary and read back with lopdf.

use std::fs;

use crate::common::{ackreg, pdf_text, squash};

fn render_default(dir: &std::path::Path, name: &str) -> Vec<u8> {
    ackreg(dir)
        .args(["render", "-o", name])
        .run()
        .must_succeed();
    fs::read(dir.join(name)).unwrap()
}

/// The seed text as its lines, with the markdown markers of the source
/// removed. The seed numbers its fifth chapter "5."; the PDF numbers it "V."
/// like the other chapters.
fn seed_lines() -> Vec<String> {
    let seed = include_str!("fixtures/seed.txt");
    seed.lines()
        .map(|l| {
            let l = l.trim().trim_start_matches("- ").replace("**", "");
            let l = l.trim_matches('*').to_string();
            if l == "5. Noslēguma jautājums" {
                "V. Noslēguma jautājums".to_string()
            } else {
                l
            }
        })
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn default_document_is_a4_pdf_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let out = ackreg(dir.path())
        .args(["render", "-o", "noteikumi.pdf"])
        .run()
        .must_succeed();
    let pdf = fs::read(dir.path().join("noteikumi.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    // The printed SHA-256 is the file's.
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(&pdf)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(out.stdout().contains(&hex), "{}", out.stdout());

    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let pages = doc.get_pages();
    assert!(pages.len() >= 3, "rules and annex need several pages");
    for (_, id) in pages {
        let page = doc.get_object(id).unwrap().as_dict().unwrap();
        let mb = page.get(b"MediaBox").unwrap().as_array().unwrap();
        let w = mb[2].as_float().unwrap();
        let h = mb[3].as_float().unwrap();
        assert!(
            (w - 595.276).abs() < 0.5 && (h - 841.89).abs() < 0.5,
            "A4: {w}x{h}"
        );
    }

    let info_id = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info_id).unwrap();
    let text = |k: &[u8]| {
        let s = info.get(k).unwrap().as_str().unwrap();
        lopdf::decode_text_string(&lopdf::Object::String(
            s.to_vec(),
            lopdf::StringFormat::Literal,
        ))
        .unwrap()
    };
    assert_eq!(
        text(b"Title"),
        "Aknīstes novada pašvaldības Valsts un pašvaldības vienotā klientu apkalpošanas centra klientu apkalpošanas noteikumi"
    );
    assert_eq!(
        text(b"Author"),
        "Aknīstes novada pašvaldības administrācija"
    );
    assert!(text(b"Creator").starts_with("ackreg "));
    assert!(text(b"CreationDate").starts_with("D:20171201"));

    let catalog = doc.catalog().unwrap();
    let lang = catalog.get(b"Lang").unwrap().as_str().unwrap();
    assert_eq!(lang, b"lv");
    // PDF/A-3 identification in the XMP metadata.
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("pdfaid:part>3<"), "XMP names PDF/A part 3");
    assert!(
        raw.contains("pdfaid:conformance>A<"),
        "XMP names conformance level A"
    );
}

#[test]
fn every_clause_of_the_seed_appears_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = render_default(dir.path(), "n.pdf");
    let text = squash(&pdf_text(&pdf));
    let mut pos = 0;
    for line in seed_lines() {
        let want = squash(&line);
        match text[pos..].find(&want) {
            Some(i) => pos += i + want.len(),
            None => panic!(
                "seed line not found (in order) in the PDF text:\n  {want}\nnext text: {}",
                &text[pos..text.len().min(pos + 300)]
            ),
        }
    }
    // Latvian letters survive extraction.
    for s in [
        "Reģ. Nr.90000026441",
        "ievērots",
        "ņem vērā",
        "ādas krāsu",
        "Piezīmes",
    ] {
        assert!(text.contains(s), "missing {s}");
    }
}

#[test]
fn two_renders_in_two_processes_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let a = render_default(dir.path(), "a.pdf");
    let b = render_default(dir.path(), "b.pdf");
    assert!(a == b, "renders differ");
}

#[test]
fn fonts_are_embedded_subsets() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = render_default(dir.path(), "n.pdf");
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let mut embedded = 0;
    for obj in doc.objects.values() {
        if let Ok(d) = obj.as_dict() {
            if d.has(b"FontFile") || d.has(b"FontFile2") || d.has(b"FontFile3") {
                embedded += 1;
            }
            if let Ok(name) = d.get(b"BaseFont").and_then(|n| n.as_name()) {
                let name = String::from_utf8_lossy(name);
                assert!(
                    name.contains("Libertinus") || name.contains("DejaVu"),
                    "{name}"
                );
            }
        }
    }
    assert!(embedded >= 2, "regular and bold faces are embedded");
}

#[test]
fn custom_template_uses_builtin_style() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tpl");
    fs::create_dir(&t).unwrap();
    let rules = include_str!("../templates/rules.typ")
        .replace("Noteikumi stājas spēkā", "Šie noteikumi stājas spēkā");
    fs::write(t.join("rules.typ"), rules).unwrap();
    ackreg(dir.path())
        .args(["render", "--template", "tpl", "-o", "x.pdf"])
        .run()
        .must_succeed();
    let text = squash(&pdf_text(&fs::read(dir.path().join("x.pdf")).unwrap()));
    assert!(text.contains("Šie noteikumi stājas spēkā"));
}

#[test]
fn broken_template_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tpl");
    fs::create_dir(&t).unwrap();
    fs::write(
        t.join("rules.typ"),
        "#import \"style.typ\": *\n\nHello\n#let x = (\n",
    )
    .unwrap();
    let out = ackreg(dir.path())
        .args(["render", "--template", "tpl", "-o", "x.pdf"])
        .run()
        .must_fail(2);
    let err = out.stderr();
    assert!(err.contains("rules.typ:4:"), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!dir.path().join("x.pdf").exists());
}

#[test]
fn missing_template_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = ackreg(dir.path())
        .args(["render", "--template", "nope", "-o", "x.pdf"])
        .run()
        .must_fail(2);
    assert!(out.stderr().contains("nope"), "{}", out.stderr());
    fs::create_dir(dir.path().join("empty")).unwrap();
    let out = ackreg(dir.path())
        .args(["render", "--template", "empty", "-o", "x.pdf"])
        .run()
        .must_fail(2);
    assert!(out.stderr().contains("rules.typ"), "{}", out.stderr());
}

#[test]
fn template_cannot_read_outside_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("secret.txt"), "TOP SECRET").unwrap();
    let t = dir.path().join("tpl");
    fs::create_dir(&t).unwrap();
    for (i, reader) in [
        "#read(\"../secret.txt\")",
        "#read(\"/../secret.txt\")",
        "#read(\"link.txt\")",
    ]
    .iter()
    .enumerate()
    {
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink(dir.path().join("secret.txt"), t.join("link.txt"));
        }
        fs::write(t.join("rules.typ"), reader).unwrap();
        let name = format!("x{i}.pdf");
        ackreg(dir.path())
            .args(["render", "--template", "tpl", "-o", &name])
            .run()
            .must_fail(2);
        assert!(!dir.path().join(&name).exists());
    }
}

#[test]
fn unwritable_output_exits_2_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("file"), "x").unwrap();
    let out = ackreg(dir.path())
        .args(["render", "-o", "file/n.pdf"])
        .run()
        .must_fail(2);
    assert!(out.stderr().contains("file/n.pdf"), "{}", out.stderr());
    ackreg(dir.path())
        .args(["render", "-o", "no/such/dir/n.pdf"])
        .run()
        .must_fail(2);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no stray files"
    );
}

#[test]
fn user_data_prints_literally() {
    use ackreg_core::render::{AnnexRow, Mode, RenderInput, Template};
    let hostile = [
        "#read(\"/etc/passwd\")",
        "]*x*[",
        "$x^2$ @ref <label> = heading",
        "\\u{41} // not a comment",
    ];
    let rows = hostile
        .iter()
        .enumerate()
        .map(|(i, h)| AnnexRow {
            nr: (i + 1).to_string(),
            date: "04.12.2017.".into(),
            name: h.to_string(),
            signature: "x".into(),
            notes: h.to_string(),
        })
        .collect::<Vec<_>>();
    for mode in [Mode::Rules, Mode::Annex] {
        let r = Template::builtin()
            .render(&RenderInput {
                mode: mode.clone(),
                rows: rows.clone(),
                ..Default::default()
            })
            .unwrap();
        let text = squash(&pdf_text(&r.pdf));
        for h in hostile {
            assert!(text.contains(h), "{h:?} not printed literally in {mode:?}");
        }
        assert!(!text.contains("root:x:0:0"));
    }
}
