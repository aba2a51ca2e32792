//! The prior-authorization search: hybrid retrieval over `ingestion_chunks`,
//! vector similarity (MiniLM, exact cosine in process) fused with PostgreSQL
//! full-text search, filtered by payer, best passages first with their
//! document titles for citation.
//!
//! PostgreSQL here has no vector extension, so embeddings are stored as
//! `real[]` and searched in memory. [`VectorIndex`] is the seam for an ANN
//! index when the corpus outgrows exact search (tens of thousands of passages
//! are still well under a millisecond per query at 384 dimensions).

use std::collections::HashMap;

use deadpool_postgres::Pool;
use dialog::tools::Passage;

use crate::error::DbError;

/// One stored passage.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `ingestion_chunks.id`.
    pub id: i64,
    /// Payer the passage belongs to (`None` = all payers).
    pub payer_id: Option<i32>,
    /// Document title.
    pub title: String,
    /// Passage text.
    pub text: String,
    /// Unit-length embedding.
    pub embedding: Vec<f32>,
}

/// Nearest-neighbour search over passage embeddings.
pub trait VectorIndex: Send + Sync {
    /// Up to `k` (passage id, similarity) for `query`, restricted to
    /// passages of `payer_id` or of no payer.
    fn search(&self, query: &[f32], payer_id: Option<i32>, k: usize) -> Vec<(i64, f32)>;
    /// The passage with this id.
    fn get(&self, id: i64) -> Option<&Entry>;
    /// Whether the document of passage `id` names any of `names` (lower
    /// case) in its title or any of its passages: a criteria section need
    /// not repeat the drug its policy is about.
    fn document_names(&self, id: i64, names: &[String]) -> bool;
    /// Number of passages.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Exact cosine search over every passage.
#[derive(Debug, Default)]
pub struct ExactIndex {
    entries: Vec<Entry>,
    by_id: HashMap<i64, usize>,
}

impl ExactIndex {
    /// An index over these passages.
    pub fn new(entries: Vec<Entry>) -> Self {
        let by_id = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
        Self { entries, by_id }
    }

    /// Loads every passage from the database.
    pub async fn load(pool: &Pool) -> Result<Self, DbError> {
        let client = pool.get().await?;
        let rows = client
            .query(
                "SELECT c.id, c.payer_id, d.title, c.text, c.embedding
                 FROM ingestion_chunks c JOIN payer_documents d ON d.id = c.document_id",
                &[],
            )
            .await?;
        Ok(Self::new(
            rows.iter()
                .map(|r| Entry {
                    id: r.get(0),
                    payer_id: r.get(1),
                    title: r.get(2),
                    text: r.get(3),
                    embedding: r.get(4),
                })
                .collect(),
        ))
    }
}

impl VectorIndex for ExactIndex {
    fn search(&self, query: &[f32], payer_id: Option<i32>, k: usize) -> Vec<(i64, f32)> {
        let mut hits: Vec<(i64, f32)> = self
            .entries
            .iter()
            .filter(|e| e.payer_id.is_none() || e.payer_id == payer_id)
            .map(|e| (e.id, models::embed::cosine(query, &e.embedding)))
            .collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1));
        hits.truncate(k);
        hits
    }

    fn get(&self, id: i64) -> Option<&Entry> {
        self.by_id.get(&id).map(|&i| &self.entries[i])
    }

    fn document_names(&self, id: i64, names: &[String]) -> bool {
        let Some(doc) = self.get(id) else {
            return false;
        };
        let named = |text: &str| {
            let text = text.to_lowercase();
            names.iter().any(|n| !n.is_empty() && text.contains(n.as_str()))
        };
        named(&doc.title)
            || self
                .entries
                .iter()
                .filter(|e| e.title == doc.title && e.payer_id == doc.payer_id)
                .any(|e| named(&e.text))
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Words too common to help the keyword half.
const STOP: &[&str] = &[
    "the", "and", "for", "does", "need", "needs", "my", "is", "a", "an", "do", "i", "to", "of", "it", "what", "with",
    "can", "you", "your", "are", "me", "tell", "about", "have", "there", "any", "this", "that", "will", "would",
    "please", "how", "get", "require", "requires", "required",
];

/// A keyword query (`websearch_to_tsquery` syntax, OR of the useful words).
pub fn keyword_query(medication: &str, question: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for w in medication.split_whitespace().chain(question.split_whitespace()) {
        let w: String = w
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        if w.len() >= 3 && !STOP.contains(&w.as_str()) && !words.contains(&w) {
            words.push(w);
        }
    }
    words.join(" or ")
}

/// Reciprocal-rank fusion of the two rankings (k = 60, the usual constant);
/// a passage naming the medication gets a small boost. Only passages of
/// documents that name the medication (`names`: its brand and generic
/// names) are kept: a policy about other drugs, or the general process, is
/// no answer to whether this one needs a prior authorization.
pub fn fuse(
    index: &dyn VectorIndex,
    vector: &[(i64, f32)],
    keyword: &[(i64, f32)],
    names: &[&str],
    top: usize,
) -> Vec<Passage> {
    let mut score: HashMap<i64, f32> = HashMap::new();
    for (rank, (id, _)) in vector.iter().enumerate() {
        *score.entry(*id).or_default() += 1.0 / (60.0 + rank as f32 + 1.0);
    }
    for (rank, (id, _)) in keyword.iter().enumerate() {
        *score.entry(*id).or_default() += 1.0 / (60.0 + rank as f32 + 1.0);
    }
    let names: Vec<String> = names
        .iter()
        .map(|n| n.trim().to_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    let mut ranked: Vec<(i64, f32)> = score
        .into_iter()
        .filter(|(id, _)| index.document_names(*id, &names))
        .filter_map(|(id, s)| {
            let e = index.get(id)?;
            let text = e.text.to_lowercase();
            let boost = if names.iter().any(|n| text.contains(n.as_str())) {
                1.0 / 61.0
            } else {
                0.0
            };
            Some((id, s + boost))
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(top)
        .filter_map(|(id, s)| {
            let e = index.get(id)?;
            Some(Passage {
                title: e.title.clone(),
                text: e.text.clone(),
                score: s,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, payer: Option<i32>, text: &str, emb: [f32; 2]) -> Entry {
        Entry {
            id,
            payer_id: payer,
            title: format!("doc {id}"),
            text: text.into(),
            embedding: emb.to_vec(),
        }
    }

    #[test]
    fn exact_search_filters_by_payer_and_ranks_by_cosine() {
        let idx = ExactIndex::new(vec![
            entry(1, Some(1), "a", [1.0, 0.0]),
            entry(2, Some(2), "b", [1.0, 0.0]),
            entry(3, None, "c", [0.6, 0.8]),
            entry(4, Some(1), "d", [0.0, 1.0]),
        ]);
        let hits = idx.search(&[1.0, 0.0], Some(1), 10);
        let ids: Vec<i64> = hits.iter().map(|h| h.0).collect();
        assert_eq!(ids, vec![1, 3, 4], "payer 2's passage excluded, general one kept");
        assert!((hits[0].1 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn fusion_prefers_passages_both_halves_agree_on() {
        let idx = ExactIndex::new(vec![
            entry(1, None, "Ozempic requires prior authorization", [1.0, 0.0]),
            entry(2, None, "statins are tier 1", [1.0, 0.0]),
            entry(3, None, "appeals take 180 days", [1.0, 0.0]),
        ]);
        let vector = vec![(2, 0.9), (1, 0.8), (3, 0.1)];
        let keyword = vec![(1, 0.5), (3, 0.1)];
        let out = fuse(&idx, &vector, &keyword, &["Ozempic"], 2);
        assert_eq!(out.len(), 1, "only the document that names the drug");
        assert_eq!(out[0].title, "doc 1");
    }

    #[test]
    fn a_passage_counts_when_its_document_names_the_drug() {
        let doc = |id: i64, title: &str, text: &str| Entry {
            id,
            payer_id: Some(1),
            title: title.into(),
            text: text.into(),
            embedding: vec![1.0, 0.0],
        };
        let idx = ExactIndex::new(vec![
            doc(1, "GLP-1 Policy", "This policy applies to Ozempic (semaglutide)."),
            doc(
                2,
                "GLP-1 Policy",
                "Clinical criteria. Approval requires type 2 diabetes.",
            ),
            doc(3, "Statins", "Crestor requires step therapy."),
            doc(4, "How PA works", "The prescriber submits the request."),
        ]);
        let vector = vec![(2, 0.9), (4, 0.8), (3, 0.7), (1, 0.6)];
        let titles = |names: &[&str]| -> Vec<String> {
            fuse(&idx, &vector, &[], names, 3).into_iter().map(|p| p.text).collect()
        };
        // The criteria section is kept for its policy's drug, by brand or
        // generic name; the general process and other drugs' policies are not.
        let ozempic = titles(&["Ozempic", "semaglutide"]);
        assert_eq!(ozempic.len(), 2, "{ozempic:?}");
        assert!(
            ozempic.iter().any(|t| t.starts_with("Clinical criteria")),
            "{ozempic:?}"
        );
        assert_eq!(titles(&["Wegovy", "semaglutide"]).len(), 2);
        assert_eq!(titles(&["Crestor"]), ["Crestor requires step therapy."]);
        assert!(titles(&["Metoprolol"]).is_empty());
        assert!(titles(&[]).is_empty());
    }

    #[test]
    fn keyword_query_drops_stop_words_and_duplicates() {
        assert_eq!(
            keyword_query("Ozempic", "Does Ozempic need a prior authorization with my plan?"),
            "ozempic or prior or authorization or plan"
        );
        assert_eq!(keyword_query("", "is it?"), "");
    }
}
