//! `/v1/ask`: "what happened at X / what's happening with X / what do people think about X / why is
//! X trending", and "what's trending?", answered from the numbers.
//!
//! No language model. A general question ([`GENERAL`]) is answered with the top stories. Otherwise
//! the question is reduced to its subject by stripping the usual question frames and endings
//! ("why is … trending"), the subject is resolved to a topic the engine knows (and looked up in the search index),
//! and the summary is a few fixed sentences filled with the topic's counts, velocity, story,
//! sentiment shares and shift, reaction groups and one representative post per side; a "what
//! happened" question starts with the story's headline and summary posts. An unknown subject is
//! never made a topic: the answer says so and names the known topics closest to it. Every sentence can be traced
//! to a number in the structured part of the answer.

use pulse_index::reactions::GroupSentiment;
use pulse_index::{Hit, Reactions, Representative, SearchRequest};
use pulse_trends::{SentimentSummary, Story, TopicStats};
use serde::Serialize;

use crate::AppState;
use crate::error::AppError;
use crate::read::{self, Windows, find_topic, format_window, representative};

/// Question frames removed to find the subject, longest first.
const FRAMES: &[&str] = &[
    "what happened at",
    "what happened in",
    "what happened on",
    "what happened to",
    "what happened with",
    "what do people think about",
    "what do people think of",
    "what are people saying about",
    "how do people feel about",
    "what is happening with",
    "what's happening with",
    "whats happening with",
    "what is going on with",
    "what's going on with",
    "what is going on at",
    "what's going on at",
    "what is happening in",
    "what's happening in",
    "tell me about",
    "what about",
    "news about",
    "why are",
    "why is",
    "why's",
];

/// Question endings removed to find the subject ("why is #prayforboston trending?").
const ENDINGS: &[&str] = &[" trending right now", " trending now", " trending", " so popular", " in the news"];

/// Questions about everything at once, answered with the top stories (compared lower-cased,
/// without the final punctuation and a trailing "now" or "today").
const GENERAL: &[&str] = &[
    "what's trending",
    "whats trending",
    "what is trending",
    "what's happening",
    "whats happening",
    "what is happening",
    "what's going on",
    "what is going on",
    "what's new",
    "what is new",
    "what's the news",
    "trending",
    "news",
];

/// Stories listed in the answer to a general question.
const TOP_STORIES: usize = 3;

/// Fewer posts than this in the trend window, and the answer is over a wider one: the last day,
/// week or 30 days, the first with this many (or the widest with any).
const MIN_POSTS: u64 = 20;

/// The windows an answer widens to, after the trend window.
const WIDER: [i64; 3] = [86_400, 7 * 86_400, 30 * 86_400];

/// Closest topics named when the subject is unknown.
const CLOSEST: usize = 5;

/// Whether `question` asks what happened (answered with the story's headline and summary first)
/// rather than what people think.
pub fn asks_what_happened(question: &str) -> bool {
    let lower = question.trim().to_lowercase();
    [
        "what happened ",
        "what is happening ",
        "what's happening ",
        "whats happening ",
        "what is going on ",
        "what's going on ",
    ]
    .iter()
    .any(|frame| lower.starts_with(frame))
}

/// Whether `question` asks what is going on in general rather than about a subject.
pub fn is_general(question: &str) -> bool {
    let lower = question.trim().trim_end_matches(['?', '!', '.']).trim().to_lowercase();
    let lower = ["right now", "now", "today"]
        .iter()
        .find_map(|end| lower.strip_suffix(end))
        .map_or(lower.as_str(), str::trim_end)
        .to_string();
    GENERAL.contains(&lower.as_str())
}

/// The structured answer; `summary` is the same content in sentences.
#[derive(Serialize)]
pub struct Answer {
    /// The question as asked.
    pub question: String,
    /// The subject found in it.
    pub subject: String,
    /// Whether Pulse has posts about the subject.
    pub found: bool,
    /// The topic key the subject resolved to.
    pub topic: Option<String>,
    /// How the topic is usually written.
    pub display_name: Option<String>,
    /// Window of "now" (`1h`).
    pub window: String,
    /// Evaluation time (event time), RFC 3339.
    pub as_of: String,
    /// Posts, authors, expected authors and the ratio over the window.
    pub volume: Option<Volume>,
    /// The trending story the topic belongs to, if any.
    pub story: Option<Story>,
    /// Sentiment now and its shift against before.
    pub sentiment: Option<SentimentSummary>,
    /// Related topics, most shared first.
    pub related: Vec<String>,
    /// One typical post per side.
    pub representative: Option<Representative>,
    /// What people are saying: the posts of its story (or of the topic alone) in the window, in
    /// groups of reaction.
    pub reactions: Option<Reactions>,
    /// Posts in the search index matching the subject's words.
    pub matching_posts: usize,
    /// When the subject is unknown: the topics sharing a word with it, busiest first.
    pub closest: Vec<String>,
    /// The answer in plain sentences, each built from the numbers above.
    pub summary: Vec<String>,
}

impl Answer {
    /// An answer to `question` about `subject` with nothing found yet.
    fn unanswered(question: &str, subject: &str, window: String, as_of: &str) -> Self {
        Answer {
            question: question.to_string(),
            subject: subject.to_string(),
            found: false,
            topic: None,
            display_name: None,
            window,
            as_of: as_of.to_string(),
            volume: None,
            story: None,
            sentiment: None,
            related: Vec::new(),
            representative: None,
            reactions: None,
            matching_posts: 0,
            closest: Vec::new(),
            summary: Vec::new(),
        }
    }
}

/// How much is being said.
#[derive(Serialize)]
pub struct Volume {
    /// Posts in the window.
    pub posts: u64,
    /// Distinct authors in the window.
    pub authors: u64,
    /// Authors expected from the baseline.
    pub expected: f64,
    /// authors / expected.
    pub ratio: f64,
}

/// The subject of a question: lower-cased, question frame and punctuation removed.
pub fn subject(question: &str) -> String {
    let mut text = question.trim().trim_end_matches(['?', '!', '.']).trim().to_string();
    let lower = text.to_lowercase();
    for frame in FRAMES {
        if let Some(rest) = lower.strip_prefix(frame) {
            text = text[text.len() - rest.len()..].to_string();
            break;
        }
    }
    let mut text = text.trim();
    for ending in ENDINGS {
        // Compared as bytes: the ending is ASCII, so where it matches the cut is a char boundary.
        let cut = text.len().saturating_sub(ending.len());
        if text.len() >= ending.len() && text.as_bytes()[cut..].eq_ignore_ascii_case(ending.as_bytes()) {
            text = &text[..cut];
            break;
        }
    }
    let text = text.trim();
    let text = text.strip_prefix("the ").unwrap_or(text);
    text.trim().to_string()
}

/// Answers a question from the engine and the index.
pub async fn answer(state: &AppState, question: &str) -> Result<Answer, AppError> {
    let windows = Windows::of(state);
    let subject = subject(question);
    let report = read::report(state, windows.trend, None, 50).await;
    if is_general(question) {
        return Ok(top_stories(question, &report.stories.stories, format_window(windows.trend), &report.stories.as_of));
    }
    let mut answer = Answer::unanswered(question, &subject, format_window(windows.trend), &report.stories.as_of);
    if subject.is_empty() {
        answer.summary.push("Ask about a topic, e.g. \"what do people think about boston?\"".into());
        return Ok(answer);
    }
    answer.matching_posts = matching_posts(state, &subject).await;
    // The trend window when the topic has enough posts there for shares to mean something; else
    // the last day, week or 30 days (a replay that ended, a topic that was busy this morning, a
    // brand asked about this week), and the answer says which.
    let mut window = windows.trend;
    let mut found = find_topic(state, &subject, window).await?;
    let mut widest = window;
    for wider in WIDER.into_iter().filter(|w| *w > windows.trend && *w <= windows.longest) {
        if found.as_ref().is_some_and(|s| s.posts >= MIN_POSTS) {
            break;
        }
        widest = wider;
        if let Some(stats) = find_topic(state, &subject, wider).await? {
            found = Some(stats);
            window = wider;
            answer.window = format_window(wider);
        }
    }
    let Some(stats) = found else {
        answer.closest = read::closest_topics(state, &subject, CLOSEST).await;
        answer.summary.push(format!(
            "Pulse has no posts about \"{subject}\" in the last {}; {} posts match those words.",
            format_window(widest),
            answer.matching_posts
        ));
        if !answer.closest.is_empty() {
            answer.summary.push(format!("The closest topics: {}.", answer.closest.join(", ")));
        }
        return Ok(answer);
    };
    let story = report.stories.stories.iter().find(|s| s.topics.iter().any(|t| t.topic == stats.topic)).cloned();
    let rep = representative(state, &stats.topic, 1).await?;
    let topics = story
        .as_ref()
        .map_or_else(|| vec![stats.topic.clone()], |s| s.topics.iter().map(|t| t.topic.clone()).collect());
    let reactions = read::reactions(state, topics, window).await?;
    answer.summary = summarize(&stats, story.as_ref(), &rep, &reactions, &answer.window);
    if let Some(story) = story.as_ref().filter(|_| asks_what_happened(question)) {
        let told = what_happened(story);
        answer.summary.splice(0..0, told);
    }
    answer.found = true;
    answer.topic = Some(stats.topic.clone());
    answer.display_name = Some(stats.display_name.clone());
    answer.volume = Some(Volume {
        posts: stats.posts,
        authors: stats.authors,
        expected: stats.expected,
        ratio: ratio(stats.authors, stats.expected),
    });
    answer.sentiment = stats.sentiment_now;
    answer.related = stats.related.iter().map(|r| r.topic.clone()).collect();
    answer.story = story;
    answer.representative = Some(rep);
    answer.reactions = Some(reactions);
    Ok(answer)
}

/// The answer to a general question: the top stories, each in one sentence.
fn top_stories(question: &str, stories: &[Story], window: String, as_of: &str) -> Answer {
    let mut summary = Vec::new();
    if stories.is_empty() {
        summary.push(format!("Nothing is trending in the last {window}."));
    } else {
        summary.push(format!("The top stories of the last {window}:"));
        for story in stories.iter().take(TOP_STORIES) {
            let since = chrono::DateTime::parse_from_rfc3339(&story.started_at)
                .map(|t| format!(" since {}", t.format("%H:%M UTC")))
                .unwrap_or_default();
            summary.push(format!(
                "“{}” — {} posts from {} accounts, {}{since}.",
                story.headline,
                story.posts,
                story.authors,
                story.state.as_str()
            ));
        }
    }
    Answer {
        found: !stories.is_empty(),
        story: stories.first().cloned(),
        summary,
        ..Answer::unanswered(question, "", window, as_of)
    }
}

async fn matching_posts(state: &AppState, subject: &str) -> usize {
    // The subject's words, each required, quoted so that no character of a question is syntax.
    let q = subject.split_whitespace().map(|w| format!("\"{}\"", w.replace('"', ""))).collect::<Vec<_>>().join(" ");
    let request = SearchRequest { limit: 1, ..SearchRequest::new(q) };
    let index = state.index().clone();
    tokio::task::spawn_blocking(move || index.search(&request).map(|page| page.total).unwrap_or(0)).await.unwrap_or(0)
}

fn ratio(authors: u64, expected: f64) -> f64 {
    if expected > 0.0 { (authors as f64 / expected * 10.0).round() / 10.0 } else { 0.0 }
}

/// "1 post", "2 posts".
fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// Quotes a post in a sentence, shortened to 140 characters, in typographic quotes (a post that
/// is itself a quotation loses its own outer quotes rather than doubling them).
fn quote(hit: &Hit) -> String {
    let text: String = hit.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.trim_matches(['"', '“', '”']).trim();
    let short: String = text.chars().take(140).collect();
    let ellipsis = if short.len() < text.len() { "…" } else { "" };
    format!("“{short}{ellipsis}” (@{}, {})", hit.author, hit.created_at.format("%H:%M UTC"))
}

/// What happened, in the story's words: its headline and summary posts, each with who and when.
fn what_happened(story: &Story) -> Vec<String> {
    let mut out = Vec::new();
    let by = |author: &str, at: &str| {
        let at =
            chrono::DateTime::parse_from_rfc3339(at).map(|t| t.format("%H:%M UTC").to_string()).unwrap_or_default();
        format!("@{author}, {at}")
    };
    match &story.headline_post {
        Some(post) => {
            out.push(format!("What happened: “{}” ({}).", story.headline, by(&post.author, &post.created_at)))
        }
        None => out.push(format!("What happened: {}.", story.headline)),
    }
    for post in &story.summary {
        out.push(format!("Also said: “{}” ({}).", post.text, by(&post.author, &post.created_at)));
    }
    out
}

/// The sentences of an answer, each from the numbers it states.
pub fn summarize(
    stats: &TopicStats,
    story: Option<&Story>,
    rep: &Representative,
    reactions: &Reactions,
    window: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let name = &stats.display_name;
    out.push(format!(
        "{} from {} mentioned {name} in the last {window}, {}× the usual ({:.0} accounts expected).",
        count(stats.posts, "post"),
        count(stats.authors, "account"),
        ratio(stats.authors, stats.expected),
        stats.expected
    ));
    match story {
        Some(story) => {
            let since = chrono::DateTime::parse_from_rfc3339(&story.started_at).ok();
            let since = since.map(|t| format!(" since {}", t.format("%H:%M UTC on %b %-d"))).unwrap_or_default();
            let others: Vec<&str> =
                story.terms.iter().filter(|t| **t != stats.topic).take(4).map(String::as_str).collect();
            let with = if others.is_empty() { String::new() } else { format!(", together with {}", others.join(", ")) };
            out.push(format!(
                "It is trending ({}{since}) as part of the story “{}”{with}.",
                story.state.as_str(),
                story.headline
            ));
        }
        None => out.push(format!("It is not among the trending stories of the last {window}.")),
    }
    if !stats.related.is_empty() && story.is_none() {
        let related: Vec<&str> = stats.related.iter().take(4).map(|r| r.topic.as_str()).collect();
        out.push(format!("Related topics: {}.", related.join(", ")));
    }
    match &stats.sentiment_now {
        Some(s) => {
            let shift = match s.shift {
                Some(shift) if shift <= -0.05 => format!(", more negative than before ({shift:+.2})"),
                Some(shift) if shift >= 0.05 => format!(", more positive than before ({shift:+.2})"),
                Some(shift) => format!(", about as before ({shift:+.2})"),
                None => String::new(),
            };
            out.push(format!(
                "What people think: {} negative, {} neutral, {} positive (mean sentiment {:+.2}{shift}).",
                percent(s.negative),
                percent(s.neutral),
                percent(s.positive),
                s.compound
            ));
        }
        // Not watched by the trend engine: the shares of its posts in the search index instead.
        None => match &reactions.sentiment {
            GroupSentiment { scored, positive: Some(p), neutral: Some(n), negative: Some(x) } if *scored > 0 => {
                out.push(format!(
                    "What people think, from the {scored} of its posts in the search index that could be scored: {} negative, {} neutral, {} positive.",
                    percent(*x),
                    percent(*n),
                    percent(*p)
                ))
            }
            _ => out.push(format!(
                "None of its posts in the last {window} could be scored for sentiment (sentiment is English-only)."
            )),
        },
    }
    if reactions.groups.len() > 1 {
        let groups: Vec<String> = reactions
            .groups
            .iter()
            .map(|g| {
                let name = g.label.split(':').next().unwrap_or(&g.label).to_lowercase();
                format!("{name} ({} of accounts)", percent(g.author_share))
            })
            .collect();
        let sample = if reactions.sampled < reactions.posts {
            format!(", in a sample of {} of its {} posts", reactions.sampled, reactions.posts)
        } else {
            String::new()
        };
        out.push(format!("What people are saying{sample}: {}.", groups.join(", ")));
    }
    if let Some(hit) = rep.negative.first() {
        out.push(format!("A typical negative post: {}.", quote(hit)));
    }
    if let Some(hit) = rep.positive.first() {
        out.push(format!("A typical positive post: {}.", quote(hit)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_frames_are_stripped_to_the_subject() {
        assert_eq!(subject("What do people think about the Boston Marathon?"), "Boston Marathon");
        assert_eq!(subject("what's happening with #BostonMarathon"), "#BostonMarathon");
        assert_eq!(subject("  fertilizer plant  "), "fertilizer plant");
        assert_eq!(subject("?"), "");
        assert_eq!(subject("Why is #PrayForBoston trending?"), "#PrayForBoston");
        assert_eq!(
            subject("why are the fertilizer plant explosions trending right now"),
            "fertilizer plant explosions"
        );
        assert_eq!(subject("why is trending"), "trending");
        // Found by Schemathesis: a question ending inside a multi-byte character.
        assert_eq!(subject("\u{80}\u{80}00\u{80}\u{80}"), "\u{80}\u{80}00\u{80}\u{80}");
        assert_eq!(subject("why is é trending"), "é");
    }

    #[test]
    fn general_questions_are_told_from_topic_questions() {
        for general in ["What's trending?", "what is happening right now", "What's going on today?", "news"] {
            assert!(is_general(general), "{general}");
        }
        for specific in ["what's happening with boston", "why is boston trending", "trending topics in Boston"] {
            assert!(!is_general(specific), "{specific}");
        }
    }

    #[test]
    fn a_quoted_post_is_quoted_once() {
        let hit = Hit {
            id: "1".into(),
            created_at: chrono::DateTime::parse_from_rfc3339("2013-04-15T21:05:00Z").unwrap().to_utc(),
            author: "a".into(),
            text: "\"@niallujah   thoughts with Boston\"".into(),
            lang: "en".into(),
            sentiment: None,
            sentiment_class: None,
            url: None,
            source: "test".into(),
            is_repost: false,
            score: None,
        };
        assert_eq!(quote(&hit), "“@niallujah thoughts with Boston” (@a, 21:05 UTC)");
    }
}
