//! `switchboard ingest DIR`: payer policy documents (Markdown or text) cut
//! into passages, embedded with MiniLM, stored in `ingestion_chunks` with
//! their embedding (`real[]`) and a full-text vector for keyword search.
//!
//! Document format: the first `# ` line is the title; an optional
//! `Payer: <name>` line ties the document to a payer (none = applies to
//! all); each `## ` section becomes one passage.

use std::path::Path;

use deadpool_postgres::Pool;
use models::embed::Embedder;
use sha2::{Digest, Sha256};

use crate::error::DbError;

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Title (first `# ` line, else the file name).
    pub title: String,
    /// Payer it applies to, if any.
    pub payer: Option<String>,
    /// Passages: (section heading, text).
    pub sections: Vec<(String, String)>,
}

/// Parses one document's text.
pub fn parse(text: &str, fallback_title: &str) -> Document {
    let mut title = None;
    let mut payer = None;
    let mut sections: Vec<(String, String)> = Vec::new();
    let mut heading = String::new();
    let mut body = String::new();
    let flush = |heading: &str, body: &mut String, sections: &mut Vec<(String, String)>| {
        let t = body.split_whitespace().collect::<Vec<_>>().join(" ");
        if !t.is_empty() {
            sections.push((heading.to_owned(), t));
        }
        body.clear();
    };
    for line in text.lines() {
        let l = line.trim();
        if let Some(t) = l.strip_prefix("# ")
            && title.is_none()
        {
            title = Some(t.trim().to_owned());
            continue;
        }
        if let Some(p) = l.strip_prefix("Payer:") {
            payer = Some(p.trim().to_owned());
            continue;
        }
        if let Some(h) = l.strip_prefix("## ") {
            flush(&heading, &mut body, &mut sections);
            heading = h.trim().to_owned();
            continue;
        }
        body.push_str(l);
        body.push('\n');
    }
    flush(&heading, &mut body, &mut sections);
    Document {
        title: title.unwrap_or_else(|| fallback_title.to_owned()),
        payer,
        sections,
    }
}

/// What an ingest run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Documents (re)ingested.
    pub documents: usize,
    /// Documents unchanged since the last run (skipped).
    pub unchanged: usize,
    /// Passages written.
    pub chunks: usize,
}

/// Ingests every `.md`/`.txt` file under `dir`. A document whose content is
/// unchanged is skipped; a changed one replaces its passages.
pub async fn ingest_dir(pool: &Pool, embedder: &Embedder, dir: &Path) -> Result<IngestReport, DbError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|source| DbError::Io {
            path: dir.display().to_string(),
            source,
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md" || e == "txt"))
        .collect();
    files.sort();
    let mut report = IngestReport::default();
    let mut client = pool.get().await?;
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| DbError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let source = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let digest = hex(&Sha256::digest(text.as_bytes()));
        let known = client
            .query_opt("SELECT sha256 FROM payer_documents WHERE source = $1", &[&source])
            .await?;
        if known.is_some_and(|r| r.get::<_, &str>(0) == digest) {
            report.unchanged += 1;
            continue;
        }
        let doc = parse(&text, &source);
        let passages: Vec<String> = doc
            .sections
            .iter()
            .map(|(h, t)| if h.is_empty() { t.clone() } else { format!("{h}. {t}") })
            .collect();
        // The title goes into the embedded text so "Aetna ... Humira" matches.
        let inputs: Vec<String> = passages.iter().map(|p| format!("{}. {p}", doc.title)).collect();
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let embeddings = embedder.embed(&refs)?;
        let tx = client.transaction().await?;
        let payer_id: Option<i32> = match &doc.payer {
            Some(name) => tx
                .query_opt("SELECT id FROM payers WHERE lower(name) = lower($1)", &[name])
                .await?
                .map(|r| r.get(0)),
            None => None,
        };
        if doc.payer.is_some() && payer_id.is_none() {
            tracing::warn!(source = %source, "document names an unknown payer; stored as general");
        }
        tx.execute("DELETE FROM payer_documents WHERE source = $1", &[&source])
            .await?;
        let doc_id: i32 = tx
            .query_one(
                "INSERT INTO payer_documents (payer_id, title, source, sha256) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&payer_id, &doc.title, &source, &digest],
            )
            .await?
            .get(0);
        for (i, (passage, emb)) in passages.iter().zip(&embeddings).enumerate() {
            let meta = serde_json::json!({ "section": doc.sections[i].0, "source": source });
            tx.execute(
                "INSERT INTO ingestion_chunks (document_id, payer_id, ordinal, text, embedding, metadata)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&doc_id, &payer_id, &(i as i32), passage, emb, &meta],
            )
            .await?;
        }
        tx.commit().await?;
        report.documents += 1;
        report.chunks += passages.len();
    }
    Ok(report)
}

/// Lowercase hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_title_payer_and_sections() {
        let d = parse(
            "# Policy A\nPayer: Aetna\n\n## One\nFirst  line\ncontinues.\n\n## Two\nSecond.\n",
            "a.md",
        );
        assert_eq!(d.title, "Policy A");
        assert_eq!(d.payer.as_deref(), Some("Aetna"));
        assert_eq!(
            d.sections,
            vec![
                ("One".to_owned(), "First line continues.".to_owned()),
                ("Two".to_owned(), "Second.".to_owned())
            ]
        );
    }

    #[test]
    fn untitled_text_uses_file_name_and_one_passage() {
        let d = parse("just some text\nmore", "notes.txt");
        assert_eq!(d.title, "notes.txt");
        assert_eq!(d.payer, None);
        assert_eq!(d.sections, vec![(String::new(), "just some text more".to_owned())]);
    }
}
