//! MiniLM embeddings agree with known similarities.

use models::assets::Assets;
use models::embed::{DIM, Embedder, cosine};

#[test]
fn paraphrases_are_close_and_unrelated_sentences_far() {
    let e = Embedder::load(&Assets::discover(), 1).unwrap_or_else(|err| panic!("{err}"));
    let v = e
        .embed(&[
            "I want to talk to a real person.",
            "Can I speak with a representative?",
            "Does my insurance cover Humira?",
            "Is Humira covered by my plan?",
            "The weather is sunny today.",
        ])
        .unwrap();
    assert_eq!(v.len(), 5);
    for x in &v {
        assert_eq!(x.len(), DIM);
        let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "unit length, got {norm}");
    }
    let human = cosine(&v[0], &v[1]);
    let coverage = cosine(&v[2], &v[3]);
    let cross = cosine(&v[0], &v[2]);
    let weather = cosine(&v[3], &v[4]);
    println!("human {human:.3} coverage {coverage:.3} cross {cross:.3} weather {weather:.3}");
    // Measured: human 0.36, coverage 0.75, cross -0.05, weather 0.04.
    assert!(
        human > 0.25 && coverage > 0.65,
        "paraphrases: {human:.3}, {coverage:.3}"
    );
    assert!(cross < 0.15 && weather < 0.15, "unrelated: {cross:.3}, {weather:.3}");
    assert!(human > cross + 0.25 && coverage > weather + 0.5);
    // Batching does not change a sentence's embedding (padding is masked out).
    let alone = e.embed(&["Is Humira covered by my plan?"]).unwrap();
    assert!(cosine(&alone[0], &v[3]) > 0.999);
}
