//! PNG versions of the charts: the SVG rasterized with resvg (pure Rust). Text uses the system's fonts (the first
//! sans-serif family found, e.g. DejaVu Sans); on a machine without fonts the PNG has no text, the SVG is unaffected.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::error::{Error, Result};

fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            let sans = db
                .faces()
                .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
                .find(|n| n.contains("Sans") && !n.contains("Mono"));
            if let Some(family) = sans {
                db.set_sans_serif_family(family);
            }
            Arc::new(db)
        })
        .clone()
}

/// Rasterizes an SVG chart at `scale` (1.0 = the SVG's own pixel size).
pub fn from_svg(svg: &str, scale: f32) -> Result<Vec<u8>> {
    let err = |message: String| Error::Render { what: "PNG".into(), message };
    let options = usvg::Options { fontdb: fonts(), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| err(format!("the SVG does not parse: {e}")))?;
    let size = tree.size();
    let (w, h) = (((size.width() * scale).ceil() as u32).max(1), ((size.height() * scale).ceil() as u32).max(1));
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or_else(|| err(format!("cannot allocate {w}x{h} pixels")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| err(e.to_string()))
}
