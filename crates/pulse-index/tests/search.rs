//! Search and representative posts on real tweets: CrisisLex T6 Boston and West Texas, CrisisLex
//! T26 Costa Rica (Spanish), and the airline sentiment set. Every expected count is computed by
//! brute force over the same posts.

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use pulse_index::representative::normalize_text;
use pulse_index::tokenizer::social_analyzer;
use pulse_index::{IndexConfig, IndexError, IndexPost, SearchIndex, SearchRequest, SentimentClass, SortOrder};
use pulse_testsuite::{AIRLINE, BOSTON, COSTA_RICA, WEST_TEXAS, index_posts};
use tantivy::tokenizer::TokenStream;

struct Fixture {
    index: SearchIndex,
    posts: Vec<IndexPost>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut posts = Vec::new();
        for file in [BOSTON, WEST_TEXAS, AIRLINE, COSTA_RICA] {
            posts.extend(index_posts(file));
        }
        let index = SearchIndex::in_ram(IndexConfig::small()).unwrap();
        let sender = index.sender();
        for post in &posts {
            sender.send(post.clone()).unwrap();
        }
        index.flush().unwrap();
        assert_eq!(index.stats().num_docs, posts.len() as u64);
        Fixture { index, posts }
    })
}

fn tokens(text: &str) -> Vec<String> {
    let mut analyzer = social_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

fn has_token(text: &str, token: &str) -> bool {
    tokens(text).iter().any(|t| t == token)
}

fn has_phrase(text: &str, phrase: &[&str]) -> bool {
    tokens(text).windows(phrase.len()).any(|w| w.iter().zip(phrase).all(|(a, b)| a == b))
}

fn count(posts: &[IndexPost], keep: impl Fn(&IndexPost) -> bool) -> usize {
    posts.iter().filter(|p| keep(p)).count()
}

fn search(request: SearchRequest) -> pulse_index::SearchPage {
    fixture().index.search(&request).unwrap_or_else(|e| panic!("{request:?}: {e}"))
}

#[test]
fn hashtags_are_whole_tokens_and_case_folded() {
    let f = fixture();
    let expected = count(&f.posts, |p| has_token(&p.post.text, "#bostonmarathon"));
    assert!(expected > 300, "only {expected} #BostonMarathon posts");
    for q in ["#BostonMarathon", "#bostonmarathon", "#BOSTONMARATHON"] {
        let page = search(SearchRequest { limit: 100, ..SearchRequest::new(q) });
        assert_eq!(page.total, expected, "{q}");
        assert_eq!(page.hits.len(), 100);
        assert!(page.hits.iter().all(|h| has_token(&h.text, "#bostonmarathon")));
    }
    // `#boston` is its own token: it matches neither `boston` nor `#bostonmarathon`.
    let tag = search(SearchRequest::new("#boston"));
    assert_eq!(tag.total, count(&f.posts, |p| has_token(&p.post.text, "#boston")));
    let word = search(SearchRequest::new("boston"));
    assert_eq!(word.total, count(&f.posts, |p| has_token(&p.post.text, "boston")));
    assert_ne!(tag.total, word.total);
}

#[test]
fn mentions_are_searchable() {
    let f = fixture();
    let expected = count(&f.posts, |p| has_token(&p.post.text, "@united"));
    assert!(expected > 3_000, "only {expected} @united posts");
    let page = search(SearchRequest::new("@United"));
    assert_eq!(page.total, expected);
    assert!(page.hits.iter().all(|h| h.source.starts_with("airline-sentiment")));
}

#[test]
fn phrases_and_conjunctions_match_exactly() {
    let f = fixture();
    let expected = count(&f.posts, |p| has_phrase(&p.post.text, &["finish", "line"]));
    assert!(expected > 50, "only {expected} 'finish line' posts");
    let page = search(SearchRequest { limit: 100, ..SearchRequest::new("\"finish line\"") });
    assert_eq!(page.total, expected);
    assert!(page.hits.iter().all(|h| has_phrase(&h.text, &["finish", "line"])));
    // All words are required by default; OR widens.
    let both = count(&f.posts, |p| has_token(&p.post.text, "fertilizer") && has_token(&p.post.text, "plant"));
    assert_eq!(search(SearchRequest::new("fertilizer plant")).total, both);
    let either = count(&f.posts, |p| has_token(&p.post.text, "fertilizer") || has_token(&p.post.text, "plant"));
    assert_eq!(search(SearchRequest::new("fertilizer OR plant")).total, either);
    assert!(either > both && both > 100, "{either} {both}");
}

#[test]
fn time_language_and_sentiment_filters() {
    let f = fixture();
    // The first hour after the Boston explosions (18:49 UTC).
    let since: DateTime<Utc> = "2013-04-15T18:49:00Z".parse().unwrap();
    let until = since + Duration::hours(1);
    let in_hour = |p: &IndexPost| p.post.created_at >= since && p.post.created_at < until;
    let expected = count(&f.posts, |p| in_hour(p) && has_token(&p.post.text, "explosion"));
    assert!(expected > 5, "only {expected}");
    let page =
        search(SearchRequest { since: Some(since), until: Some(until), limit: 100, ..SearchRequest::new("explosion") });
    assert_eq!(page.total, expected);
    assert!(page.hits.iter().all(|h| h.created_at >= since && h.created_at < until));
    // Language: the Costa Rica earthquake set is mostly Spanish.
    let spanish = count(&f.posts, |p| p.lang == "es" && has_token(&p.post.text, "sismo"));
    assert!(spanish > 20, "only {spanish}");
    let page = search(SearchRequest { lang: Some("es".into()), ..SearchRequest::new("sismo") });
    assert_eq!(page.total, spanish);
    assert!(page.hits.iter().all(|h| h.lang == "es" && h.sentiment.is_none() && h.sentiment_class.is_none()));
    // Sentiment class, on the empty query (every post).
    let negative = count(&f.posts, |p| SentimentClass::of(p.sentiment) == Some(SentimentClass::Negative));
    let page =
        search(SearchRequest { sentiment: Some(SentimentClass::Negative), limit: 100, ..SearchRequest::default() });
    assert_eq!(page.total, negative);
    assert!(page.hits.iter().all(|h| h.sentiment.is_some_and(|c| c <= -0.05)));
}

#[test]
fn recency_sort_and_pagination() {
    let f = fixture();
    let matching: Vec<&IndexPost> = f.posts.iter().filter(|p| has_token(&p.post.text, "texas")).collect();
    let newest = matching.iter().map(|p| p.post.created_at).max().unwrap();
    let first = search(SearchRequest { sort: SortOrder::Recent, limit: 50, ..SearchRequest::new("texas") });
    assert_eq!(first.total, matching.len());
    assert_eq!(first.hits[0].created_at, newest);
    assert!(first.hits.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    assert!(first.hits.iter().all(|h| h.score.is_none()));
    let second =
        search(SearchRequest { sort: SortOrder::Recent, limit: 50, offset: 50, ..SearchRequest::new("texas") });
    assert_eq!(second.hits.len(), 50);
    assert!(first.hits.last().unwrap().created_at >= second.hits[0].created_at);
    let ids: HashSet<&str> = first.hits.iter().chain(&second.hits).map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), 100, "pages overlap");
    // Relevance: scores descending; a page past the end is empty but keeps the total.
    let relevant = search(SearchRequest { limit: 20, ..SearchRequest::new("texas") });
    assert!(relevant.hits.windows(2).all(|w| w[0].score >= w[1].score));
    let past = search(SearchRequest { offset: 9_900, limit: 100, ..SearchRequest::new("texas") });
    assert_eq!((past.hits.len(), past.total), (0, matching.len()));
    // Hits carry the stored fields.
    let hit = &first.hits[0];
    let original = f.posts.iter().find(|p| p.post.id == hit.id).unwrap();
    assert_eq!((hit.text.as_str(), hit.author.as_str()), (original.post.text.as_str(), original.post.author.as_str()));
    assert_eq!(
        (hit.url.as_deref(), hit.source.as_str()),
        (original.post.url.as_deref(), original.post.source.as_str())
    );
    assert_eq!(hit.sentiment, original.sentiment);
}

/// Newest-first pages are searched in a time slice that widens until it holds the page; whatever
/// slice answers, each page must be exactly the brute-force newest matches (compared by time, as
/// posts written in the same millisecond may come in either order).
#[test]
fn recency_pages_equal_brute_force_for_broad_and_narrow_queries() {
    let f = fixture();
    let since = DateTime::parse_from_rfc3339("2013-04-16T12:00:00Z").unwrap().with_timezone(&Utc);
    type Keep = Box<dyn Fn(&IndexPost) -> bool>;
    let cases: [(&str, Option<DateTime<Utc>>, Keep); 3] = [
        ("", None, Box::new(|_| true)),
        ("texas", None, Box::new(|p| has_token(&p.post.text, "texas"))),
        ("boston", Some(since), Box::new(move |p| has_token(&p.post.text, "boston") && p.post.created_at >= since)),
    ];
    for (q, since, keep) in &cases {
        let mut expected: Vec<DateTime<Utc>> = f.posts.iter().filter(|p| keep(p)).map(|p| p.post.created_at).collect();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        for (offset, limit) in [(0, 20), (0, 100), (380, 100)] {
            let page = search(SearchRequest {
                sort: SortOrder::Recent,
                offset,
                limit,
                since: *since,
                ..SearchRequest::new(*q)
            });
            let times: Vec<DateTime<Utc>> = page.hits.iter().map(|h| h.created_at).collect();
            let want = &expected[offset.min(expected.len())..(offset + limit).min(expected.len())];
            assert_eq!(page.total, expected.len(), "{q:?} total");
            assert_eq!(times, want, "{q:?} offset {offset} limit {limit}");
        }
    }
}

#[test]
fn bad_queries_and_parameters_are_user_errors() {
    let index = &fixture().index;
    // The last ones parse, but ask whether a field has any value, which only fast fields answer.
    let exists = ["text:*", "lang:*", "author:*", "source:*", "is_repost:*", "url:*"];
    // Ranges over a text field enumerate its dictionary: refused (ranges on time are filters).
    let ranges = ["text:[a TO zzzzzz]", "boston AND author:{a TO z}", "[a TO z]"];
    for q in
        ["\"unclosed phrase", "nosuchfield:boston", "boston AND (", "text:["].into_iter().chain(exists).chain(ranges)
    {
        match index.search(&SearchRequest::new(q)) {
            Err(e @ IndexError::Query { .. }) => assert!(e.is_user_error() && e.to_string().contains(q), "{e}"),
            other => panic!("{q:?} gave {other:?}"),
        }
    }
    let in_time = index.search(&SearchRequest::new("boston AND created_at:[2013-04-15T00:00:00Z TO *]")).unwrap();
    assert!(in_time.total > 0, "a range on time is a filter and stays allowed");
    for bad in
        [SearchRequest { limit: 101, ..SearchRequest::new("a") }, SearchRequest { limit: 0, ..SearchRequest::new("a") }]
    {
        let err = index.search(&bad).unwrap_err();
        assert!(matches!(err, IndexError::InvalidRequest(_)) && err.to_string().contains("limit"), "{err}");
    }
    let err = index.representative("boston", None, None, 0).unwrap_err();
    assert!(err.is_user_error(), "{err}");
}

#[test]
fn representative_posts_are_on_their_side_and_diverse() {
    let f = fixture();
    for topic in ["@united", "#bostonmarathon", "explosion"] {
        let answer = f.index.representative(topic, None, None, 5).unwrap();
        let about: Vec<&IndexPost> = f.posts.iter().filter(|p| p.topics.iter().any(|t| t == topic)).collect();
        let side_count =
            |c| count(&f.posts, |p| p.topics.iter().any(|t| t == topic) && SentimentClass::of(p.sentiment) == Some(c));
        assert_eq!(answer.counts.positive, side_count(SentimentClass::Positive), "{topic}");
        assert_eq!(answer.counts.negative, side_count(SentimentClass::Negative), "{topic}");
        assert_eq!(answer.counts.neutral, side_count(SentimentClass::Neutral), "{topic}");
        assert_eq!(
            answer.counts.positive + answer.counts.negative + answer.counts.neutral + answer.counts.no_sentiment,
            about.len()
        );
        let mut authors = HashSet::new();
        let mut texts = HashSet::new();
        for class in SentimentClass::ALL {
            let side = answer.side(class);
            assert_eq!(side.len(), 5, "{topic} {class}: {side:#?}");
            for hit in side {
                assert_eq!(hit.sentiment_class, Some(class), "{topic}: {hit:?}");
                let post = about.iter().find(|p| p.post.id == hit.id).expect("a post about the topic");
                assert_eq!(hit.sentiment, post.sentiment);
                assert!(authors.insert(hit.author.clone()), "{topic}: author {} twice", hit.author);
                assert!(texts.insert(normalize_text(&hit.text)), "{topic}: duplicate text {}", hit.text);
            }
        }
        // Typical, not extreme: the chosen negatives are not all the most negative posts.
        let chosen_mean: f64 = answer.negative.iter().filter_map(|h| h.sentiment).sum::<f64>() / 5.0;
        assert!(chosen_mean > -0.95 && chosen_mean <= -0.05, "{topic}: {chosen_mean}");
    }
}

#[test]
fn representative_collapses_reposts_into_originals() {
    let f = fixture();
    // Boston has many retweets of the same few texts; the answer shows each text once (which
    // original is preferred over its reposts is checked by the unit tests).
    let topic = "#prayforboston";
    let answer = f.index.representative(topic, None, None, 10).unwrap();
    let chosen: Vec<_> = SentimentClass::ALL.iter().flat_map(|c| answer.side(*c)).collect();
    assert!(chosen.len() >= 15, "{}", chosen.len());
    let reposts_about = count(&f.posts, |p| p.is_repost && p.topics.iter().any(|t| t == topic));
    assert!(reposts_about > 100, "{reposts_about}");
    let texts: HashSet<String> = chosen.iter().map(|h| normalize_text(&h.text)).collect();
    assert_eq!(texts.len(), chosen.len());
    // The time range restricts the answer.
    let since: DateTime<Utc> = "2013-04-16T00:00:00Z".parse().unwrap();
    let later = f.index.representative(topic, Some(since), None, 3).unwrap();
    assert!(SentimentClass::ALL.iter().flat_map(|c| later.side(*c)).all(|h| h.created_at >= since));
    assert!(later.counts.positive + later.counts.negative < answer.counts.positive + answer.counts.negative);
}

#[test]
fn reaction_groups_split_a_storys_posts_by_what_people_say() {
    let f = fixture();
    let topics = vec!["boston marathon".to_string(), "#prayforboston".to_string()];
    let carries = |p: &IndexPost| p.topics.iter().any(|t| topics.contains(t));
    let expected = count(&f.posts, carries);
    assert!(expected > 1000, "only {expected} posts carry the topics");
    let r = f.index.reactions(&topics, None, None, &["boston", "marathon", "prayforboston"]).unwrap();
    assert_eq!(r.posts, expected);
    assert_eq!(r.sampled, pulse_index::reactions::SAMPLE, "a sample of 1,000 of the {expected}");
    assert_eq!(r.groups.iter().map(|g| g.posts).sum::<usize>(), r.sampled, "every sampled post is in one group");
    assert!((2..=6).contains(&r.groups.len()), "{} groups", r.groups.len());
    let kinds: Vec<&str> = r.groups.iter().map(|g| g.reaction).collect();
    assert!(kinds.contains(&"sympathy") && kinds.contains(&"news"), "{kinds:?}");
    let mut shown_authors = HashSet::new();
    for g in &r.groups {
        assert!(g.authors <= g.posts && g.author_share <= 1.0 && g.author_share > 0.0, "{g:?}");
        let kind = pulse_text::reactions::KINDS.iter().find(|k| k.as_str() == g.reaction).expect("a known kind");
        assert!(g.label.starts_with(kind.name()), "{} for {}", g.label, g.reaction);
        assert!(g.terms.iter().all(|t| !["boston", "marathon"].contains(&t.as_str())), "{:?}", g.terms);
        if let (Some(p), Some(n), Some(x)) = (g.sentiment.positive, g.sentiment.neutral, g.sentiment.negative) {
            assert!((p + n + x - 1.0).abs() < 0.01, "{:?}", g.sentiment);
        }
        assert!(!g.representative.is_empty() && g.representative.len() <= 2);
        for hit in &g.representative {
            assert!(shown_authors.insert(hit.author.clone()), "author {} shown twice", hit.author);
            assert!(
                carries(f.posts.iter().find(|p| p.post.id == hit.id).unwrap()),
                "{} is not about the story",
                hit.id
            );
        }
    }
    for g in &r.groups {
        println!(
            "{} — {} posts, {:.0} % of authors: {:?}",
            g.label,
            g.posts,
            g.author_share * 100.0,
            g.representative.iter().map(|h| &h.text).collect::<Vec<_>>()
        );
    }
    let sympathy = r.groups.iter().find(|g| g.reaction == "sympathy").unwrap();
    assert!(sympathy.terms.iter().any(|t| t.starts_with("pray")), "{:?}", sympathy.terms);
    // The same request gives the same sample and the same groups.
    assert_eq!(f.index.reactions(&topics, None, None, &["boston", "marathon", "prayforboston"]).unwrap(), r);
    // A time range with nothing in it has no groups; bad requests are errors.
    let empty = f
        .index
        .reactions(
            &topics,
            Some(DateTime::<Utc>::from_timestamp(0, 0).unwrap()),
            Some(DateTime::<Utc>::from_timestamp(1, 0).unwrap()),
            &[],
        )
        .unwrap();
    assert_eq!((empty.posts, empty.sampled, empty.groups.len()), (0, 0, 0));
    assert!(matches!(f.index.reactions(&[], None, None, &[]), Err(IndexError::InvalidRequest(_))));
}
