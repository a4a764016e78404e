//! Acceptance on real data: the CrisisLexT6 Boston bombings + West, Texas explosion replay
//! (`boston-west`) through replay → analyzer → engine, 10-minute buckets, a report every 10 minutes.

use pulse_trends::{AnalyzedPost, Report, Story, TrendConfig, TrendEngine, TrendQuery};

/// All posts of boston-west, analysed once (through the same adapter `pulse serve` uses).
fn posts() -> &'static [AnalyzedPost] {
    pulse_testsuite::boston_west_analyzed()
}

fn config() -> TrendConfig {
    TrendConfig { auto_watermark: false, ..TrendConfig::for_bucket(600) }
}

/// Feeds `posts` into `engine`, reporting every 10 minutes of data time.
fn run(engine: &TrendEngine, posts: &[AnalyzedPost], report: bool) -> Vec<(i64, Report)> {
    let mut worker = engine.worker();
    let mut reports = Vec::new();
    let first = (posts[0].created_at / 600 + 1) * 600;
    let next = pulse_testsuite::feed_closing(engine, &mut worker, posts, first, 600, |at| {
        if report {
            reports.push((at, engine.report(&TrendQuery { as_of: Some(at), limit: Some(10), ..Default::default() })));
        }
    });
    worker.flush().unwrap();
    engine.advance_watermark(next);
    reports
}

fn at(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

fn story_matches(t: &Story, words: &[&str]) -> bool {
    std::iter::once(&t.topic)
        .chain(&t.terms)
        .any(|term| words.iter().any(|w| term == w || term.split(' ').any(|part| part == *w)))
}

/// Which reports in `[from, to]` have a matching story in their top 5.
fn coverage(reports: &[(i64, Report)], from: &str, to: &str, words: &[&str]) -> (bool, usize, usize) {
    let sel: Vec<_> = reports.iter().filter(|(t, _)| (at(from)..=at(to)).contains(t)).collect();
    let hit = |l: &Report| l.stories.iter().take(5).any(|t| story_matches(t, words));
    let first = sel.first().is_some_and(|(t, l)| *t == at(from) && hit(l));
    (first, sel.iter().filter(|(_, l)| hit(l)).count(), sel.len())
}

const BOSTON: &[&str] = &["boston", "marathon", "explosion", "explosions", "#bostonmarathon", "bomb", "bombs"];
const WEST: &[&str] = &["west", "texas", "explosion", "fertilizer", "plant"];
/// Stopwords and evergreen words that must never head or join a top-10 story.
const NEVER: &[&str] = &[
    "the", "rt", "lol", "today", "a", "and", "to", "of", "in", "is", "it", "you", "i", "for", "on", "my", "this",
    "that", "just", "like", "get", "one", "new", "people", "right", "now", "love", "good", "day", "time", "know",
    "thank", "thanks", "okay", "omg", "haha", "tonight", "got", "going", "back", "still", "really",
];

#[test]
fn boston_and_west_trend_in_time_and_nothing_evergreen_does() {
    let posts = posts();
    assert_eq!(posts.len(), 20_018);
    let engine = TrendEngine::new(config()).unwrap();
    let reports = run(&engine, posts, true);
    assert!(reports.len() > 1_800, "{}", reports.len());

    let (first, hits, total) = coverage(&reports, "2013-04-15T19:50:00Z", "2013-04-15T23:50:00Z", BOSTON);
    assert!(first, "no Boston story in the top 5 at 19:50");
    assert!(hits * 10 >= total * 8, "Boston in {hits}/{total} reports");
    assert_eq!(total, 25);
    let (first, hits, total) = coverage(&reports, "2013-04-18T01:50:00Z", "2013-04-18T05:50:00Z", WEST);
    assert!(first, "no West story in the top 5 at 01:50");
    assert!(hits * 10 >= total * 8, "West in {hits}/{total} reports");

    // Nothing trends during the warm-up (the first 4 hours of history).
    for (t, list) in reports.iter().filter(|(t, _)| *t < at("2013-04-15T04:00:00Z")) {
        assert!(list.stories.is_empty() && list.trends.is_empty(), "trends during warm-up at {t}: {:?}", list.trends);
    }
    for (t, list) in &reports {
        for story in &list.stories {
            for term in std::iter::once(&story.topic).chain(&story.terms) {
                assert!(!NEVER.contains(&term.as_str()), "evergreen {term:?} in the top 10 at {t}");
            }
        }
        // Every listed trend names a story of the report or one below its top 10.
        for trend in &list.trends {
            assert!(!trend.story_id.is_empty(), "{trend:?}");
        }
    }

    // The West story at 01:50 is one story (not five variants), explained by its numbers.
    let (_, list) = reports.iter().find(|(t, _)| *t == at("2013-04-18T01:50:00Z")).unwrap();
    let west = list.stories.iter().find(|t| story_matches(t, WEST)).unwrap();
    assert!(west.terms.len() >= 3, "{:?}", west.terms);
    assert_eq!(list.stories.iter().filter(|t| story_matches(t, &["fertilizer", "texas"])).count(), 1);
    assert!(west.authors >= 30 && west.expected < 5.0, "{west:?}");
    // A story counts each post once however many of its topics it carries.
    let largest = west.topics.iter().map(|t| t.posts).max().unwrap();
    let summed: u64 = west.topics.iter().map(|t| t.posts).sum();
    assert!(west.posts >= largest && west.posts < summed, "{} posts, topics {:?}", west.posts, west.topics);
    assert!(
        west.explanation.contains(&format!("{} posts from {} accounts in the last hour", west.posts, west.authors))
    );
    let s = west.sentiment.expect("English posts are scored");
    assert!((s.positive + s.neutral + s.negative - 1.0).abs() < 0.01, "{s:?}");
    assert!(s.compound > -1.0 && s.compound < 1.0 && s.shift.is_some(), "{s:?}");

    // Topic stats answer for the headline, and for a word that never trended.
    // (The ring keeps the last 24 h: at the end of the replay, 2013-04-27.)
    let stats = engine.topic("texas", None).unwrap();
    assert!(stats.series.len() <= 144 && stats.series.iter().map(|p| p.posts).sum::<u64>() > 0, "{stats:?}");
    assert!(stats.series.iter().all(|p| p.authors <= p.posts));
    let m = engine.metrics();
    assert_eq!((m.posts_ingested, m.posts_late_dropped), (20_018, 0));
}

#[test]
fn two_engines_over_disjoint_halves_merge_into_the_same_trends() {
    let posts = posts();
    let cut = at("2013-04-18T02:00:00Z");
    let posts: Vec<AnalyzedPost> = posts.iter().filter(|p| p.created_at < cut).cloned().collect();
    let one = TrendEngine::new(config()).unwrap();
    run(&one, &posts, false);
    // Split by author (the engine's routing rule), each half over the same time span.
    let (a, b): (Vec<_>, Vec<_>) = posts.iter().cloned().partition(|p| p.author_hash % 2 == 0);
    let left = TrendEngine::new(config()).unwrap();
    let right = TrendEngine::new(config()).unwrap();
    run(&left, &a, false);
    run(&right, &b, false);
    left.merge_snapshot(&right.snapshot().unwrap()).unwrap();
    let q = TrendQuery { as_of: Some(cut), limit: Some(5), ..Default::default() };
    let (x, y) = (one.report(&q), left.report(&q));
    // Free text finds the keys; topic stats cover the trend window of the West story.
    assert_eq!(one.resolve_topic("Fertilizer Plant").as_deref(), Some("fertilizer plant"));
    // The hashtag and its words meet; the form with more posts wins.
    assert_eq!(one.resolve_topic("#BostonMarathon").as_deref(), Some("boston marathon"));
    assert_eq!(one.resolve_topic("boston   MARATHON").as_deref(), Some("boston marathon"));
    assert!(one.resolve_topic("zzqx unseen").is_none());
    let stats = one.topic("fertilizer", Some(3 * 3600)).unwrap();
    assert_eq!(stats.series.len(), 18);
    assert!(stats.authors >= 10 && stats.expected < 3.0, "{stats:?}");
    assert!(stats.related.iter().any(|r| r.topic == "plant" || r.topic == "fertilizer plant"), "{:?}", stats.related);
    assert!(!stats.samples.is_empty());
    assert!(!x.trends.is_empty());
    let heads = |l: &Report| l.trends.iter().map(|t| t.topic.clone()).collect::<Vec<_>>();
    assert_eq!(heads(&x)[..3], heads(&y)[..3]);
    for (p, q) in x.trends.iter().zip(&y.trends).take(3) {
        // Count-min merges stay upper bounds within ε·N; at these volumes they are exact.
        assert!(q.posts >= p.posts && q.posts <= p.posts + 2, "{} vs {}", p.posts, q.posts);
        assert!(q.authors.abs_diff(p.authors) <= 2, "{} vs {}", p.authors, q.authors);
        assert!((p.score - q.score).abs() <= 0.05 * p.score, "{} vs {}", p.score, q.score);
    }
}
