//! Topic extraction on real crisis tweets (CrisisLex T6 / T26).

use std::collections::HashMap;

use pulse_text::{Analysis, Analyzer, TopicKind};

fn analyze(text: &str) -> Analysis {
    let mut a = Analysis::default();
    Analyzer::shared().analyze_text_into("t", text, None, false, &mut a);
    a
}

fn find<'a>(texts: &'a [String], needle: &str) -> &'a str {
    texts.iter().find(|t| t.contains(needle)).unwrap_or_else(|| panic!("no tweet contains {needle:?}"))
}

#[test]
fn hashtag_segmentation_on_boston_tweets() {
    let texts = pulse_testsuite::eval::crisislex_t6("2013_Boston_Bombings");
    let tweet = find(&texts, "#BostonMarathon");
    let a = analyze(tweet);
    let keys: Vec<(&str, TopicKind)> = a.topics().iter().map(|t| (t.key(), t.kind())).collect();
    assert!(keys.contains(&("#bostonmarathon", TopicKind::Hashtag)), "{tweet}: {keys:?}");
    let phrase = a.topics().iter().find(|t| t.key() == "boston marathon").expect("segmented phrase");
    assert!(matches!(phrase.kind(), TopicKind::Phrase | TopicKind::Entity));
    let hashtag = a.topics().iter().find(|t| t.key() == "#bostonmarathon").unwrap();
    assert_eq!(hashtag.surface(), "#BostonMarathon");

    // Across the whole event, the segmented hashtag and the written name meet at one key.
    let analyzer = Analyzer::shared();
    let mut a = Analysis::default();
    let mut surfaces: HashMap<String, usize> = HashMap::new();
    for t in &texts {
        analyzer.analyze_text_into("t", t, None, false, &mut a);
        let keys: Vec<&str> = a.topics().iter().map(|t| t.key()).collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "a post counts once per topic: {t}");
        for topic in a.topics().iter().filter(|x| x.key() == "boston marathon") {
            *surfaces.entry(topic.surface().to_string()).or_default() += 1;
        }
    }
    println!("surfaces of `boston marathon`: {surfaces:?}");
    assert!(surfaces.get("Boston Marathon").copied().unwrap_or(0) >= 20, "{surfaces:?}");
    // Other spellings (`Boston marathon`, `BOSTON MARATHON`) land on the same key.
    assert!(surfaces.keys().any(|s| s != "Boston Marathon"), "{surfaces:?}");
}

#[test]
fn phrases_urls_and_mentions_on_west_texas_tweets() {
    let texts = pulse_testsuite::eval::crisislex_t6("2013_West_Texas_Explosion");
    let tweet = find(&texts, "http://");
    let a = analyze(tweet);
    for t in a.topics() {
        assert!(!t.key().contains("http") && !t.key().contains("t.co"), "URL leaked into {t:?} from {tweet}");
    }
    let with_mention = texts.iter().find(|t| t.contains(" @") && !t.starts_with("RT")).expect("a tweet with a mention");
    let a = analyze(with_mention);
    let mentions: Vec<&str> = a.topics().iter().filter(|t| t.kind() == TopicKind::Mention).map(|t| t.key()).collect();
    assert!(!mentions.is_empty(), "{with_mention}");
    for m in &mentions {
        assert!(m.starts_with('@'));
        let bare = &m[1..];
        assert!(!a.topics().iter().any(|t| t.kind() == TopicKind::Word && t.key() == bare), "mention {m} also a word");
    }
    // Phrase counts over the event: `west texas` and `fertilizer plant` are among the top phrases.
    let analyzer = Analyzer::shared();
    let mut a = Analysis::default();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for t in &texts {
        analyzer.analyze_text_into("t", t, None, false, &mut a);
        for topic in a.topics().iter().filter(|t| matches!(t.kind(), TopicKind::Phrase | TopicKind::Entity)) {
            *counts.entry(topic.key().to_string()).or_default() += 1;
        }
    }
    let mut top: Vec<_> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top20: Vec<&str> = top.iter().take(20).map(|t| t.0.as_str()).collect();
    println!("top phrases: {:?}", &top[..20]);
    assert!(top20.contains(&"west texas"), "{top20:?}");
    assert!(top20.contains(&"fertilizer plant"), "{top20:?}");
}

#[test]
fn multilingual_stopwords_do_not_become_words() {
    let spanish = pulse_testsuite::eval::crisislex_t26("2012_Venezuela_refinery");
    let italian = pulse_testsuite::eval::crisislex_t26("2012_Italy_earthquakes");
    let analyzer = Analyzer::shared();
    let mut a = Analysis::default();
    let mut words: HashMap<String, usize> = HashMap::new();
    for t in spanish.iter().chain(&italian) {
        analyzer.analyze_text_into("t", t, None, false, &mut a);
        for topic in a.topics().iter().filter(|t| t.kind() == TopicKind::Word) {
            *words.entry(topic.key().to_string()).or_default() += 1;
        }
    }
    for stop in ["los", "las", "por", "para", "una", "del", "della", "che", "sono", "non", "the", "and"] {
        // A few hits remain from tweets detected as English (`Los Angeles`), where Spanish
        // stopwords are content words.
        let n = words.get(stop).copied().unwrap_or(0);
        assert!(n <= 5, "stopword {stop} counted {n} times as a word");
    }
    for content in ["amuay", "refinería", "terremoto", "scossa"] {
        assert!(words.get(content).copied().unwrap_or(0) >= 10, "{content}: {:?}", words.get(content));
    }
}

#[test]
fn analyze_output_object_has_the_documented_shape() {
    let a = analyze("RT @NWS: Tornado warning for Moore, Oklahoma!! Take cover now #okwx http://t.co/x");
    let v: serde_json::Value = serde_json::from_str(&a.to_json_line()).unwrap();
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["id", "is_repost", "lang", "sentiment", "topics"]);
    assert_eq!(v["is_repost"], true);
    assert_eq!(v["lang"], "en");
    let s = v["sentiment"].as_object().unwrap();
    assert_eq!(s.len(), 4);
    assert!(
        v["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["key"] == "#okwx" && t["kind"] == "hashtag" && t["surface"] == "#okwx")
    );
    assert!(v["topics"].as_array().unwrap().iter().any(|t| t["key"] == "tornado warning" && t["kind"] == "phrase"));
}
