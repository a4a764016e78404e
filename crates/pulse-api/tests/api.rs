//! Every endpoint through the real router (`oneshot`), after a real replay: status codes, JSON
//! validated against `schemas/openapi.yaml`, and contents.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use pulse_api::AppState;
use pulse_core::replay::{self, ManualClock, ReplayOptions};
use pulse_core::sink::{Sink, SinkError};
use pulse_index::{IndexConfig, SearchIndex};
use pulse_ingest::{Pipeline, PipelineStats};
use pulse_trends::{TrendConfig, TrendEngine};
use serde_json::Value;
use tower::ServiceExt;

struct Feed(Pipeline);

impl Sink for Feed {
    fn send(&mut self, post: &pulse_core::Post) -> Result<(), SinkError> {
        Ok(self.0.ingest(post)?)
    }
}

/// Boston + West Texas from the start until 22:00 UTC on the day of the bombing (18:49 UTC), with
/// 10-minute buckets, into an engine and an in-memory index.
fn replayed_state() -> AppState {
    replayed_until("2013-04-15T22:00:00Z")
}

/// Boston + West Texas from the start until `until` (RFC 3339).
fn replayed_until(until: &str) -> AppState {
    let until = chrono::DateTime::parse_from_rfc3339(until).unwrap().to_utc();
    replayed(pulse_testsuite::boston_west(), Some(until))
}

/// `inputs` replayed once (until `until`, when given) into an engine with 10-minute buckets and an
/// in-memory index.
fn replayed(inputs: Vec<pulse_core::replay::ReplayInput>, until: Option<chrono::DateTime<chrono::Utc>>) -> AppState {
    let engine = Arc::new(TrendEngine::new(TrendConfig::for_bucket(600)).unwrap());
    let index = Arc::new(SearchIndex::in_ram(IndexConfig::small()).unwrap());
    let options = ReplayOptions { until, ..ReplayOptions::default() };
    let mut feed = Feed(Pipeline::new().with_trends(engine.worker()).with_index(index.sender()));
    let summary = replay::replay(&inputs, &options, &mut feed, &mut ManualClock::default(), &mut ()).unwrap();
    assert!(summary.emitted() > 500, "{}", summary.emitted());
    feed.0.flush().unwrap();
    if let Some(until) = until {
        engine.advance_watermark(until.timestamp());
    }
    index.flush().unwrap();
    AppState::new(engine, index, Arc::new(PipelineStats::default()), pulse_api::server::Limits::default().max_streams)
}

fn app() -> (AppState, Router) {
    serving(replayed_state())
}

fn serving(state: AppState) -> (AppState, Router) {
    state.set_ready(true);
    let router = pulse_api::router(state.clone());
    (state, router)
}

async fn get(router: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = router.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

async fn get_json(router: &Router, uri: &str) -> (StatusCode, Value) {
    let (status, headers, body) = get(router, uri).await;
    assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{uri}");
    (status, serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{uri}: {e}")))
}

/// Checks a body against a schema of `schemas/openapi.yaml`.
fn assert_matches(schema_name: &str, value: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/openapi.yaml");
    let mut openapi: Value = serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    openapi["$ref"] = Value::String(format!("#/components/schemas/{schema_name}"));
    let validator = jsonschema::options().should_validate_formats(true).build(&openapi).unwrap();
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{schema_name}: {errors:#?}\n{value:#}");
}

fn is_boston(term: &str) -> bool {
    ["boston", "marathon", "explosion", "explosions", "#bostonmarathon", "bomb", "bombs", "boston marathon"]
        .contains(&term)
}

#[tokio::test]
async fn stories_tell_the_boston_story_and_trends_name_their_stories() {
    let (_, router) = app();
    let (status, body) = get_json(&router, "/v1/stories?window=1h&limit=10").await;
    assert_eq!(status, StatusCode::OK);
    assert_matches("StoriesResponse", &body);
    assert_eq!(body["window"], "1h");
    assert!(body["as_of"].as_str().unwrap().starts_with("2013-04-15T2"), "{}", body["as_of"]);
    let stories = body["stories"].as_array().unwrap();
    assert!(!stories.is_empty() && stories.len() <= 10);
    let boston =
        stories.iter().take(5).find(|t| t["terms"].as_array().unwrap().iter().any(|x| is_boston(x.as_str().unwrap())));
    let boston = boston.unwrap_or_else(|| panic!("no Boston story in the top 5: {body:#}"));
    assert!(boston["authors"].as_u64().unwrap() >= 20, "{boston}");
    assert!(boston["explanation"].as_str().unwrap().contains("posts"), "{boston}");
    let headline = boston["headline"].as_str().unwrap().to_lowercase();
    assert!(headline.len() >= 25 && !headline.contains("http") && !headline.starts_with("rt @"), "{headline}");

    // The trending topics each name a story of the same report.
    let (status, trends) = get_json(&router, "/v1/trends?window=1h&limit=10").await;
    assert_eq!(status, StatusCode::OK);
    assert_matches("TrendsResponse", &trends);
    let id = boston["id"].as_str().unwrap();
    let members: Vec<&str> =
        boston["topics"].as_array().unwrap().iter().map(|t| t["topic"].as_str().unwrap()).collect();
    for trend in trends["trends"].as_array().unwrap() {
        let topic = trend["topic"].as_str().unwrap();
        assert_eq!(members.contains(&topic), trend["story_id"] == id, "{topic} in {members:?}");
    }

    // The story by its id: the same story, with its series and representative posts.
    let (status, story) = get_json(&router, &format!("/v1/stories/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{story}");
    assert_matches("StoryResponse", &story);
    assert_eq!((story["id"].as_str(), story["headline"].as_str()), (Some(id), boston["headline"].as_str()));
    assert!(story["timeline"].as_array().unwrap().iter().map(|p| p["posts"].as_u64().unwrap()).sum::<u64>() > 0);
    let (status, missing) = get_json(&router, "/v1/stories/000000000000").await;
    assert_eq!((status, missing["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, english) = get_json(&router, "/v1/stories?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert_matches("StoriesResponse", &english);
}

#[tokio::test]
async fn the_boston_story_at_21_00_groups_sympathy_apart_from_the_news() {
    let (_, router) = serving(replayed_until("2013-04-15T21:00:00Z"));
    let (_, body) = get_json(&router, "/v1/stories?window=1h&limit=5").await;
    let stories = body["stories"].as_array().unwrap();
    let boston = stories
        .iter()
        .find(|t| t["terms"].as_array().unwrap().iter().any(|x| is_boston(x.as_str().unwrap())))
        .unwrap_or_else(|| panic!("no Boston story in the top 5: {body:#}"));
    assert!(boston["sentiment"]["positive"].as_f64().unwrap() < 0.5, "mostly positive: {}", boston["sentiment"]);
    let (status, story) = get_json(&router, &format!("/v1/stories/{}", boston["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK);
    assert_matches("StoryResponse", &story);
    let reactions = &story["reactions"];
    let groups = reactions["groups"].as_array().unwrap();
    let kinds: Vec<&str> = groups.iter().map(|g| g["reaction"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"sympathy") && kinds.contains(&"news"), "{reactions:#}");
    assert!((2..=6).contains(&groups.len()));
    let sampled = reactions["sampled"].as_u64().unwrap();
    // The hour holds a few dozen posts of the story (CrisisLexT6 samples the stream): all are grouped.
    assert!(sampled >= 20 && sampled == reactions["posts"].as_u64().unwrap(), "{reactions:#}");
    assert_eq!(groups.iter().map(|g| g["posts"].as_u64().unwrap()).sum::<u64>(), sampled);
    let sympathy = groups.iter().find(|g| g["reaction"] == "sympathy").unwrap();
    assert!(sympathy["label"].as_str().unwrap().starts_with("Sympathy and support"), "{sympathy}");
    let news = groups.iter().find(|g| g["reaction"] == "news").unwrap();
    let news_text: String =
        news["representative"].as_array().unwrap().iter().map(|h| h["text"].as_str().unwrap().to_lowercase()).collect();
    let about_the_blasts = ["explo", "bomb", "blast"].iter().any(|w| news_text.contains(w));
    assert!(about_the_blasts, "the news group is not about the explosions: {news}");

    // "What happened at X?" is told with X's story: its headline, then its summary posts.
    let (status, body) = get_json(&router, "/v1/ask?q=what%20happened%20at%20the%20finish%20line%3F").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_matches("Answer", &body);
    assert_eq!((body["subject"].as_str(), body["found"].as_bool()), (Some("finish line"), Some(true)), "{body}");
    let headline = body["story"]["headline"].as_str().unwrap().to_lowercase();
    assert!(headline.contains("explosion") && headline.contains("finish line"), "{headline}");
    let story = &body["story"];
    let summary: Vec<&str> = body["summary"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(
        summary[0].starts_with(&format!("What happened: “{}” (@", story["headline"].as_str().unwrap())),
        "{summary:#?}"
    );
    let also = summary.iter().filter(|s| s.starts_with("Also said: “")).count();
    assert_eq!(also, story["summary"].as_array().unwrap().len(), "{summary:#?}");
    assert!(summary[1 + also].contains("posts from"), "{summary:#?}");
}

/// The first `data:` event of an event stream, parsed.
async fn first_event(router: &Router) -> Value {
    let response = router.clone().oneshot(Request::get("/v1/stream").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let frame = body.frame().await.expect("the stream ended").unwrap();
        text.push_str(std::str::from_utf8(frame.data_ref().unwrap()).unwrap());
    }
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or_else(|| panic!("{text}"));
    serde_json::from_str(data).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_quiet_spell_the_first_list_and_the_first_event_are_current() {
    let until = |at: &str| chrono::DateTime::parse_from_rfc3339(at).unwrap().to_utc();
    let options = ReplayOptions { until: Some(until("2013-04-15T22:00:00Z")), ..ReplayOptions::default() };
    let posts = pulse_testsuite::replayed(&pulse_testsuite::boston_west(), &options);
    let split = posts.partition_point(|p| p.created_at < until("2013-04-15T20:00:00Z"));
    let engine = Arc::new(TrendEngine::new(TrendConfig::for_bucket(600)).unwrap());
    let index = Arc::new(SearchIndex::in_ram(IndexConfig::small()).unwrap());
    let mut pipeline = Pipeline::new().with_trends(engine.worker()).with_index(index.sender());
    let state = AppState::new(engine.clone(), index, Arc::new(PipelineStats::default()), 16);
    let router = pulse_api::router(state);
    let clock = || engine.report(&pulse_trends::TrendQuery::default()).as_of;

    for post in &posts[..split] {
        pipeline.ingest(post).unwrap();
    }
    pipeline.flush().unwrap();
    let (_, before) = get_json(&router, "/v1/trends").await;
    assert_eq!(before["as_of"], clock());
    // The replay moves on by two hours while nobody asks, then a dashboard opens.
    for post in &posts[split..] {
        pipeline.ingest(post).unwrap();
    }
    pipeline.flush().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let now = clock();
    assert!(now.as_str() > before["as_of"].as_str().unwrap() && now.starts_with("2013-04-15T21:"), "{now}");
    let (_, after) = get_json(&router, "/v1/trends").await;
    assert_eq!(after["as_of"], now, "the first list after the quiet spell is current");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(first_event(&router).await["as_of"], now, "the first event after a quiet spell is current");
}

#[tokio::test]
async fn bad_trend_parameters_are_400_with_a_json_error() {
    let (_, router) = app();
    for (uri, code) in [
        ("/v1/trends?window=5m", "bad_window"),
        ("/v1/trends?window=forever", "bad_window"),
        ("/v1/trends?lang=klingon", "bad_lang"),
        ("/v1/trends?limit=0", "bad_limit"),
        ("/v1/trends?limit=101", "bad_limit"),
        ("/v1/trends?color=red", "bad_parameter"),
        ("/v1/search?q=boston&sort=loudest", "bad_sort"),
        ("/v1/search?q=boston&sentiment=angry", "bad_sentiment"),
        ("/v1/search?q=boston&since=yesterday", "bad_time"),
        ("/v1/search?q=%22unclosed", "bad_query"),
        ("/v1/search?q=text:(", "bad_query"),
        ("/v1/search?q=text:*", "bad_query"),
        ("/v1/search?q=boston%20OR%20sentiment_class:*", "bad_query"),
        ("/v1/search?q=boston&limit=500", "bad_limit"),
        ("/v1/search?q=boston&offset=9901", "bad_offset"),
        ("/v1/ask", "bad_question"),
        ("/v1/topics/boston?window=1y", "bad_window"),
        ("/v1/stories?window=5m", "bad_window"),
        ("/v1/stories/not%20an%20id", "bad_story"),
    ] {
        let (status, body) = get_json(&router, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"]["code"], code, "{uri}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
        assert_matches("Error", &body);
    }
}

#[tokio::test]
async fn errors_outside_the_handlers_are_json_too_and_every_response_has_the_security_headers() {
    let (_, router) = app();
    let long_target = format!("/v1/trends?window={}", "1".repeat(9000));
    let big_header = "x".repeat(20_000);
    let requests = [
        (
            Request::post("/v1/trends").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Request::get("/v1/trends")
                .header(header::CONTENT_LENGTH, "20000")
                .body(Body::from(vec![b'a'; 20_000]))
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (Request::get(long_target.as_str()).body(Body::empty()).unwrap(), StatusCode::URI_TOO_LONG, "uri_too_long"),
        (
            Request::get("/v1/trends").header("x-big", big_header.as_str()).body(Body::empty()).unwrap(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request_header_fields_too_large",
        ),
        (Request::get("/v1/topics/%FF%FE").body(Body::empty()).unwrap(), StatusCode::BAD_REQUEST, "bad_request"),
    ];
    for (request, status, code) in requests {
        let what = format!("{} {}", request.method(), request.uri().to_string().chars().take(40).collect::<String>());
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), status, "{what}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json", "{what}");
        assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty(), "{what}");
        assert_matches("Error", &body);
    }
    for uri in ["/v1/trends", "/", "/healthz", "/nowhere"] {
        let (_, headers, _) = get(&router, uri).await;
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{uri}");
        assert!(headers["permissions-policy"].to_str().unwrap().contains("camera=()"), "{uri}");
    }
}

#[tokio::test]
async fn event_streams_over_the_cap_get_a_503_and_a_closed_one_frees_its_slot() {
    let engine = Arc::new(TrendEngine::new(TrendConfig::for_bucket(600)).unwrap());
    let index = Arc::new(SearchIndex::in_ram(IndexConfig::small()).unwrap());
    let state = AppState::new(engine, index, Arc::new(PipelineStats::default()), 1);
    let router = pulse_api::router(state.clone());
    let open = |router: &Router| router.clone().oneshot(Request::get("/v1/stream").body(Body::empty()).unwrap());
    let first = open(&router).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(state.open_streams(), 1);
    let (status, headers, body) = {
        let second = open(&router).await.unwrap();
        let (status, headers) = (second.status(), second.headers().clone());
        (status, headers, second.into_body().collect().await.unwrap().to_bytes())
    };
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "too_many_streams", "{body}");
    drop(first);
    assert_eq!(state.open_streams(), 0);
    let third = open(&router).await.unwrap();
    assert_eq!(third.status(), StatusCode::OK);
    let (_, _, metrics) = get(&router, "/metrics").await;
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(metrics.lines().any(|l| l == "pulse_sse_streams_refused_total 1"), "{metrics}");
    assert!(metrics.lines().any(|l| l == "pulse_sse_streams_open 1"), "{metrics}");
}

#[tokio::test]
async fn a_topic_has_its_series_sentiment_and_representative_posts() {
    let (_, router) = app();
    let (status, body) = get_json(&router, "/v1/topics/boston").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_matches("TopicResponse", &body);
    assert_eq!(body["topic"], "boston");
    assert!(body["posts"].as_u64().unwrap() > 20, "{}", body["posts"]);
    let series = body["series"].as_array().unwrap();
    assert!(series.len() >= 6);
    let mut counts: Vec<u64> = series.iter().map(|p| p["posts"].as_u64().unwrap()).collect();
    counts.sort_unstable();
    let (median, peak) = (counts[counts.len() / 2], counts[counts.len() - 1]);
    assert!(peak >= 10 && peak >= 3 * median.max(1), "the bombing shows in the series: median {median}, peak {peak}");
    let rep = &body["representative"];
    let sides = ["positive", "negative", "neutral"];
    let shown: usize = sides.iter().map(|s| rep[*s].as_array().unwrap().len()).sum();
    assert!(shown >= 3, "{rep}");
    for hit in rep["negative"].as_array().unwrap() {
        assert!(hit["sentiment"].as_f64().unwrap() <= -0.05, "{hit}");
        assert!(hit["text"].as_str().unwrap().to_lowercase().contains("boston"), "{hit}");
    }
    // Posts, sentiment and the series all cover the asked window: the posts are the series' sum,
    // and a window shows shares only when it has scored posts.
    for window in ["1h", "6h", "24h"] {
        let (status, body) = get_json(&router, &format!("/v1/topics/boston?window={window}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_matches("TopicResponse", &body);
        let series: u64 = body["series"].as_array().unwrap().iter().map(|p| p["posts"].as_u64().unwrap()).sum();
        assert_eq!(body["posts"].as_u64(), Some(series), "{window}: {body}");
        let shares = &body["sentiment_now"];
        let sum: f64 = ["positive", "neutral", "negative"].iter().map(|s| shares[*s].as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 0.01, "{window}: {shares}");
    }
    let (_, day) = get_json(&router, "/v1/topics/boston?window=24h").await;
    let (_, hour) = get_json(&router, "/v1/topics/boston?window=1h").await;
    assert!(day["posts"].as_u64() > hour["posts"].as_u64(), "{day} vs {hour}");
    // The whole replay is in the day: nothing before it to compare with.
    assert!(day["sentiment_baseline"].is_null(), "{}", day["sentiment_baseline"]);
    assert!(!hour["sentiment_baseline"].is_null());
    // Free text resolves to the topic key.
    let (status, body) = get_json(&router, "/v1/topics/Boston%20Marathon").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["topic"], "boston marathon");
    let (status, body) = get_json(&router, "/v1/topics/zzqxnotatopic").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn search_finds_posts_with_filters_and_paging() {
    let (_, router) = app();
    let (status, body) = get_json(&router, "/v1/search?q=explosion&limit=5").await;
    assert_eq!(status, StatusCode::OK);
    assert_matches("SearchPage", &body);
    let total = body["total"].as_u64().unwrap();
    assert!(total > 10, "{total}");
    assert_eq!(body["hits"].as_array().unwrap().len(), 5);
    assert!(
        body["hits"].as_array().unwrap().iter().all(|h| h["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("explosion"))
    );
    let (_, negative) = get_json(&router, "/v1/search?q=explosion&sentiment=negative&sort=recent&limit=100").await;
    let hits = negative["hits"].as_array().unwrap();
    assert!(negative["total"].as_u64().unwrap() < total);
    assert!(hits.iter().all(|h| h["sentiment_class"] == "negative"));
    let times: Vec<&str> = hits.iter().map(|h| h["created_at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "recent first");
    let (_, late) = get_json(&router, "/v1/search?q=explosion&since=2013-04-15T20:00:00Z&limit=1").await;
    let late_total = late["total"].as_u64().unwrap();
    assert!(late_total > 0 && late_total < total, "{late_total} of {total}");
    let (_, page2) = get_json(&router, "/v1/search?q=explosion&limit=5&offset=5").await;
    assert_ne!(page2["hits"][0]["id"], body["hits"][0]["id"]);
    // Times beyond what the index can represent (its nanoseconds end in 1677 and 2262) still work.
    let (status, ancient) = get_json(&router, "/v1/search?q=explosion&since=0166-11-05T00:24:33Z").await;
    assert_eq!((status, ancient["total"].as_u64()), (StatusCode::OK, Some(total)), "{ancient}");
    let (status, far) = get_json(&router, "/v1/search?q=explosion&since=9999-01-01T00:00:00Z").await;
    assert_eq!((status, far["total"].as_u64()), (StatusCode::OK, Some(0)), "{far}");
}

#[tokio::test]
async fn ask_answers_with_volume_and_a_representative_post() {
    let (_, router) = app();
    let (status, body) = get_json(&router, "/v1/ask?q=what%20do%20people%20think%20about%20boston%3F").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_matches("Answer", &body);
    assert_eq!(body["found"], true);
    assert_eq!(body["subject"], "boston");
    let posts = body["volume"]["posts"].as_u64().unwrap();
    let summary: Vec<&str> = body["summary"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(summary[0].starts_with(&format!("{posts} posts from ")), "{summary:#?}");
    assert!(summary.iter().any(|s| s.starts_with("What people think: ")), "{summary:#?}");
    // What they are saying: the story's reaction groups, each with its share of accounts.
    let groups = body["reactions"]["groups"].as_array().unwrap();
    assert!(groups.len() >= 2, "{body:#}");
    let said =
        summary.iter().find(|s| s.starts_with("What people are saying")).unwrap_or_else(|| panic!("{summary:#?}"));
    for g in groups {
        let name = g["label"].as_str().unwrap().split(':').next().unwrap().to_lowercase();
        let share = format!("{name} ({:.0}% of accounts)", g["author_share"].as_f64().unwrap() * 100.0);
        assert!(said.contains(&share), "{said} lacks {share}");
    }
    let negative = body["representative"]["negative"][0]["text"].as_str().unwrap();
    let first_words: String = negative.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    assert!(
        summary.iter().any(|s| s.starts_with("A typical negative post: ") && s.contains(&first_words)),
        "{summary:#?}"
    );

    // "Why is X trending?" is a question about X.
    let (status, body) = get_json(&router, "/v1/ask?q=why%20is%20%23prayforboston%20trending%3F").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["subject"].as_str(), body["found"].as_bool()), (Some("#prayforboston"), Some(true)), "{body}");
    // "What's trending?" is answered with the top stories, each in a sentence.
    let (_, stories) = get_json(&router, "/v1/stories").await;
    let (status, body) = get_json(&router, "/v1/ask?q=what%27s%20trending%3F").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_matches("Answer", &body);
    assert_eq!(body["found"], true);
    let summary: Vec<&str> = body["summary"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(summary[0], "The top stories of the last 1h:");
    assert_eq!(summary.len(), 1 + stories["stories"].as_array().unwrap().len().min(3), "{summary:#?}");
    let first = &stories["stories"][0];
    assert!(
        summary[1].starts_with(&format!("“{}” — {} posts from ", first["headline"].as_str().unwrap(), first["posts"])),
        "{summary:#?}"
    );
    assert_eq!(body["story"]["id"], first["id"]);

    let (status, body) = get_json(&router, "/v1/ask?q=what%27s%20happening%20with%20zzqxnothing").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["found"], false);
    assert!(body["summary"][0].as_str().unwrap().contains("no posts about \"zzqxnothing\""), "{body}");
    assert_eq!(body["closest"], serde_json::json!([]));

    // A topic the trend engine does not watch still gets the sentiment of its posts in the index,
    // from the same window as the rest of the answer.
    let (status, body) = get_json(&router, "/v1/ask?q=what%20do%20people%20think%20about%20marathon%20runners").await;
    assert_eq!(status, StatusCode::OK);
    assert_matches("Answer", &body);
    assert_eq!((body["found"].as_bool(), body["sentiment"].is_null()), (Some(true), true), "{body}");
    let s = &body["reactions"]["sentiment"];
    let scored = s["scored"].as_u64().unwrap();
    assert!(scored > 0, "{body}");
    let pct = |k: &str| format!("{:.0}%", s[k].as_f64().unwrap() * 100.0);
    let expected = format!(
        "What people think, from the {scored} of its posts in the search index that could be scored: {} negative, {} neutral, {} positive.",
        pct("negative"),
        pct("neutral"),
        pct("positive")
    );
    assert!(body["summary"].as_array().unwrap().iter().any(|l| l == &expected), "{body:#}");

    // An unknown subject is not made a topic: the answer names the closest topics it knows.
    let (status, body) =
        get_json(&router, "/v1/ask?q=what%20do%20people%20think%20about%20marathon%20parking%20fees").await;
    assert_eq!(status, StatusCode::OK);
    assert_matches("Answer", &body);
    assert_eq!((body["found"].as_bool(), body["topic"].as_str()), (Some(false), None), "{body}");
    let closest: Vec<&str> = body["closest"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert!(
        !closest.is_empty() && closest.iter().all(|t| ["marathon", "parking", "fees"].iter().any(|w| t.contains(w))),
        "{closest:?}"
    );
    assert_eq!(body["summary"][1], format!("The closest topics: {}.", closest.join(", ")));
}

#[tokio::test]
async fn health_readiness_metrics_and_unknown_paths() {
    let (state, router) = app();
    let (status, body) = get_json(&router, "/healthz").await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, _) = get_json(&router, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
    state.set_ready(false);
    let (status, body) = get_json(&router, "/readyz").await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("starting")));
    get(&router, "/v1/trends").await;
    let (status, _, body) = get(&router, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    let ingested =
        text.lines().find(|l| l.starts_with("pulse_posts_ingested_total ")).unwrap_or_else(|| panic!("{text}"));
    assert!(ingested.split(' ').nth(1).unwrap().parse::<f64>().unwrap() > 1000.0, "{ingested}");
    assert!(text.contains("pulse_http_request_duration_seconds_count{route=\"/v1/trends\"} 1"), "{text}");
    for name in [
        "pulse_event_time_lag_seconds",
        "pulse_queue_depth{queue=\"index\"}",
        "pulse_index_last_commit_seconds",
        "pulse_records_malformed_total",
        "pulse_posts_late_total{outcome=\"dropped\"}",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    let (status, body) = get_json(&router, "/v2/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_matches("Error", &body);
}

#[tokio::test]
async fn the_dashboard_is_served_with_a_content_security_policy() {
    let (_, router) = app();
    let (status, headers, body) = get(&router, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("script-src 'self'"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<script src=\"/assets/app.js\"></script>"));
    let (_, _, js) = get(&router, "/assets/app.js").await;
    let js = String::from_utf8(js).unwrap();
    assert!(js.contains("textContent") && !js.contains("innerHTML"), "post text must never be inserted as HTML");
}

#[tokio::test]
async fn the_stream_sends_the_stories_as_an_event() {
    let (_, router) = app();
    let response = router.oneshot(Request::get("/v1/stream").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = response.into_body();
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame()).await.unwrap().unwrap().unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert!(text.starts_with("event: stories\ndata: "), "{text}");
    let data: Value = serde_json::from_str(text.trim_start_matches("event: stories\ndata: ").trim()).unwrap();
    assert_matches("StoriesResponse", &data);
    assert!(!data["stories"].as_array().unwrap().is_empty());
}

/// `/v1/ask "what do people think about <airline>"` after one pass of the airline set, against
/// the crowd's labels of the same posts (those carrying the topic the answer names, in the
/// buckets of its window). Prints the table.
#[tokio::test]
async fn airline_negative_shares_against_the_crowd() {
    let input =
        pulse_core::replay::ReplayInput { path: pulse_testsuite::dataset(pulse_testsuite::AIRLINE), format: None };
    let (_, router) = serving(replayed(vec![input], None));
    let labels = pulse_testsuite::eval::airline_labels();
    let posts = pulse_testsuite::index_posts(pulse_testsuite::AIRLINE);
    println!("| airline | topic | window | posts | Pulse negative | crowd negative | error |");
    println!("|---|---|---|---|---|---|---|");
    let mut errors = Vec::new();
    for airline in ["Virgin America", "United", "Southwest Airlines", "US Airways", "American Airlines", "JetBlue"] {
        let q = format!("/v1/ask?q=what%20do%20people%20think%20about%20{}", airline.replace(' ', "%20"));
        let (status, body) = get_json(&router, &q).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_matches("Answer", &body);
        let topic = body["topic"].as_str().unwrap_or_else(|| panic!("{airline}: {body:#}"));
        assert!(topic.starts_with('@'), "{airline} resolved to {topic}, not the airline's handle");
        let window = match body["window"].as_str().unwrap() {
            "1h" => 3600,
            "1d" => 86_400,
            other => panic!("window {other}"),
        };
        let as_of = chrono::DateTime::parse_from_rfc3339(body["as_of"].as_str().unwrap()).unwrap().timestamp();
        let to = (as_of - 1).div_euclid(600) * 600 + 600;
        let crowd: Vec<&str> = posts
            .iter()
            .filter(|p| p.topics.iter().any(|t| t == topic))
            .filter(|p| (to - window..to).contains(&p.post.created_at.timestamp()))
            .map(|p| labels[&p.post.id].as_str())
            .collect();
        let crowd_negative = crowd.iter().filter(|l| **l == "negative").count() as f64 / crowd.len() as f64;
        let pulse_negative = body["sentiment"]["negative"].as_f64().unwrap_or_else(|| panic!("{airline}: {body:#}"));
        let error = (pulse_negative - crowd_negative).abs();
        println!(
            "| {airline} | {topic} | {} | {} | {pulse_negative:.3} | {crowd_negative:.3} | {error:.3} |",
            body["window"].as_str().unwrap(),
            crowd.len()
        );
        assert!(crowd.len() >= 10, "{airline}: {} posts", crowd.len());
        errors.push(error);
    }
    let mae = errors.iter().sum::<f64>() / errors.len() as f64;
    println!("mean absolute error {mae:.3}");
    assert!(mae <= 0.12, "mean absolute error {mae:.3}");
}

/// A week and a month of the airline set (8 days) from the rollup tiers: every `@united` post of
/// the window counted once, shares over scored posts only, and windows past the tiers refused.
#[tokio::test]
async fn a_topic_answers_over_a_week_and_a_month() {
    let input =
        pulse_core::replay::ReplayInput { path: pulse_testsuite::dataset(pulse_testsuite::AIRLINE), format: None };
    let (_, router) = serving(replayed(vec![input], None));
    let posts = pulse_testsuite::index_posts(pulse_testsuite::AIRLINE);
    let mut totals = Vec::new();
    for (window, width) in [("7d", 3600), ("30d", 86_400)] {
        let (status, body) = get_json(&router, &format!("/v1/topics/@united?window={window}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_matches("TopicResponse", &body);
        assert_eq!(body["window"], window);
        let series = body["series"].as_array().unwrap();
        let at = |p: &Value| chrono::DateTime::parse_from_rfc3339(p["at"].as_str().unwrap()).unwrap().timestamp();
        assert!(series.iter().all(|p| at(p) % width == 0), "{window}: points of whole {width} s");
        let (first, end) =
            (at(&series[0]), chrono::DateTime::parse_from_rfc3339(body["at"].as_str().unwrap()).unwrap());
        let truth = posts
            .iter()
            .filter(|p| p.topics.iter().any(|t| t == "@united"))
            .filter(|p| (first..end.timestamp() + 600).contains(&p.post.created_at.timestamp()))
            .count() as u64;
        let counted = body["posts"].as_u64().unwrap();
        println!(
            "@united over {window}: {counted} posts (the set holds {truth} in the window), {} points",
            series.len()
        );
        assert!(counted >= truth && counted <= truth + truth / 50, "{window}: {counted} vs {truth}");
        assert_eq!(series.iter().map(|p| p["posts"].as_u64().unwrap()).sum::<u64>(), counted);
        let negative = body["sentiment_now"]["negative"].as_f64().unwrap();
        assert!(
            (0.5..0.8).contains(&negative),
            "{window}: the crowd calls 69 % of @united posts negative, got {negative}"
        );
        totals.push(counted);
    }
    assert!(totals[0] > 3000 && totals[1] >= totals[0], "{totals:?}");
    let (status, body) = get_json(&router, "/v1/topics/@united?window=91d").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_window")));
    assert!(body["error"]["message"].as_str().unwrap().contains("at most 90d"), "{body}");
    let (status, _) = get_json(&router, "/v1/topics/nothing-like-it?window=30d").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a window with no posts says so");
    // Delta has fewer than 20 posts in the set's last day: the answer widens to the week.
    let (status, body) = get_json(&router, "/v1/ask?q=what%20do%20people%20think%20about%20delta").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["topic"].as_str(), body["window"].as_str()), (Some("@delta"), Some("7d")), "{body:#}");
    assert!(body["volume"]["posts"].as_u64().unwrap() >= 20, "{body:#}");
    let (_, body) = get_json(&router, "/v1/ask?q=what%20do%20people%20think%20about%20zeppelins").await;
    let said = body["summary"][0].as_str().unwrap();
    assert!(said.contains("no posts about \"zeppelins\" in the last 30d"), "{said}");
}
