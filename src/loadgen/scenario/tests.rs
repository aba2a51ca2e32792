use super::*;

#[test]
fn parses_steps_and_expectations() {
    let f = ScenarioFile::parse(
        r#"
description = "x"
conversation = ["Hello."]
steps = ["wait", { say = "Hi." }, { barge_in = { after_ms = 1500, say = "Stop." } },
         { dtmf = "0" }, { pause_ms = 200 }, { wait_for_bot = { quiet_ms = 800 } }, { wav = "a.wav" }]
[expect]
end = "transferred"
"#,
        "t",
    )
    .unwrap();
    assert_eq!(f.voice, "rms");
    assert_eq!(f.weight, 1);
    assert_eq!(f.expect.end, Some(ExpectedEnd::Transferred));
    assert!(f.expect.answered);
    let s = f.all_steps();
    assert_eq!(s.len(), 3 + 7);
    assert!(matches!(s[1], StepSpec::Say(ref t) if t == "Hello."));
    assert!(matches!(s[6], StepSpec::Dtmf('0')));
    assert!(matches!(
        s[8],
        StepSpec::WaitForBot {
            quiet_ms: Some(800),
            limit_s: None
        }
    ));
}

#[test]
fn rejects_unknown_keys_and_empty_scripts() {
    assert!(ScenarioFile::parse("description = \"x\"\nsay = \"hi\"", "t").is_err());
    assert!(ScenarioFile::parse("description = \"x\"", "t").is_err());
    assert!(ScenarioFile::parse("description = \"x\"\nvoice = \"nope\"\nconversation = [\"a\"]", "t").is_err());
}

#[test]
fn shipped_scenarios_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/scenarios");
    let all = load_dir(&dir).unwrap();
    assert!(all.len() >= 5, "{all:?}");
    assert!(all.iter().any(|(n, f)| n == "media-only" && f.repeat));
}

#[test]
fn mix_follows_weights() {
    let s = |name: &str| {
        Arc::new(Scenario {
            name: name.into(),
            description: String::new(),
            from: None,
            weight: 1,
            repeat: false,
            steps: Vec::new(),
            expect: Expect::default(),
        })
    };
    let mix = Mix::new(vec![(s("a"), 3), (s("b"), 1), (s("c"), 0)]).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let a = (0..4000).filter(|_| mix.pick(&mut rng).name == "a").count();
    assert!((2800..3200).contains(&a), "{a}");
    assert_eq!(mix.weights().len(), 2);
    assert!(Mix::new(vec![(s("c"), 0)]).is_err());
}
