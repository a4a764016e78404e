//! Accuracy of VADER on labelled tweets: the paper's human ratings and TweetEval.

use pulse_testsuite::eval::pearson;
use pulse_text::Vader;

#[test]
fn compound_correlates_with_human_ratings_like_python() {
    let vader = Vader::new();
    let tweets = pulse_testsuite::eval::vader_tweets();
    assert_eq!(tweets.len(), 4200);
    let human: Vec<f64> = tweets.iter().map(|t| t.0).collect();
    let compound: Vec<f64> = tweets.iter().map(|t| vader.polarity_scores(&t.1).compound).collect();
    let r = pearson(&compound, &human);
    println!("Pearson r (compound vs human mean rating, 4,200 tweets) = {r:.4}");
    assert!(r >= 0.87, "r = {r}");
    assert!((r - 0.872).abs() < 0.001, "Python 3.3.2 gives 0.872, got {r}");
}

#[test]
fn tweeteval_macro_recall_like_python() {
    let vader = Vader::new();
    let data = pulse_testsuite::eval::tweeteval();
    assert_eq!(data.len(), 2000);
    let mut hit = [0usize; 3];
    let mut total = [0usize; 3];
    for (label, text) in &data {
        let c = vader.polarity_scores(text).compound;
        // The thresholds of the VADER README: ≥ 0.05 positive, ≤ -0.05 negative.
        let predicted = if c >= 0.05 {
            2
        } else if c <= -0.05 {
            0
        } else {
            1
        };
        total[*label as usize] += 1;
        hit[*label as usize] += (predicted == *label) as usize;
    }
    let recalls: Vec<f64> = (0..3).map(|k| hit[k] as f64 / total[k] as f64).collect();
    let macro_recall = recalls.iter().sum::<f64>() / 3.0;
    println!("TweetEval validation: recall neg/neu/pos = {recalls:.3?}, macro recall = {macro_recall:.4}");
    assert!((macro_recall - 0.598).abs() < 0.005, "Python gives ≈ 0.598, got {macro_recall}");
}

/// Share of each airline's posts the crowd labels negative, against the share each scorer calls
/// negative (compound ≤ −0.05), over the whole airline set (never trained on), and the model's
/// share corrected for its error rates on held-out SemEval tweets (what Pulse reports).
#[test]
fn the_model_reads_airline_complaints_closer_to_the_crowd_than_vader() {
    use pulse_text::{Analysis, Analyzer, AnalyzerConfig, Opinion, Scorer};
    let path = pulse_testsuite::data_dir().join("airline-sentiment/Airline-Sentiment-2-w-AA.csv");
    let posts: Vec<pulse_core::Post> = pulse_core::PostReader::open(&path, None)
        .unwrap()
        .filter_map(|r| match r.unwrap() {
            pulse_core::Record::Post(p) => Some(p),
            _ => None,
        })
        .collect();
    let scorers = [Scorer::Model, Scorer::Vader]
        .map(|scorer| Analyzer::with_config(AnalyzerConfig { scorer, ..AnalyzerConfig::default() }));
    // airline → (posts, crowd negative, [model, VADER] class counts: negative, neutral, positive)
    let mut by_airline: std::collections::BTreeMap<String, (usize, usize, [[u64; 3]; 2])> = Default::default();
    let mut analysis = Analysis::default();
    for post in &posts {
        let row = by_airline.entry(post.labels["airline"].clone()).or_default();
        row.0 += 1;
        row.1 += usize::from(post.labels.get("sentiment").map(String::as_str) == Some("negative"));
        for (k, analyzer) in scorers.iter().enumerate() {
            analyzer.analyze_into(post, &mut analysis);
            if let Some(s) = analysis.topic_sentiment() {
                row.2[k][if s.compound <= -0.05 {
                    0
                } else if s.compound < 0.05 {
                    1
                } else {
                    2
                }] += 1;
            }
        }
    }
    println!("| airline | posts | crowd negative | model, corrected | model, counted | VADER (masked) |");
    let (mut corrected_error, mut model_error, mut vader_error) = (0.0, 0.0, 0.0);
    let correction = Opinion::shared().share_correction();
    for (airline, (n, crowd, [model, vader])) in &by_airline {
        let crowd = *crowd as f64 / *n as f64;
        let counted = |c: &[u64; 3]| c[0] as f64 / *n as f64;
        let corrected = correction.shares(*model).unwrap()[0];
        println!("| {airline} | {n} | {crowd:.3} | {corrected:.3} | {:.3} | {:.3} |", counted(model), counted(vader));
        corrected_error += (corrected - crowd).abs() / by_airline.len() as f64;
        model_error += (counted(model) - crowd).abs() / by_airline.len() as f64;
        vader_error += (counted(vader) - crowd).abs() / by_airline.len() as f64;
    }
    println!(
        "mean absolute error: model corrected {corrected_error:.3}, counted {model_error:.3}, VADER {vader_error:.3}"
    );
    assert_eq!(by_airline.len(), 6);
    assert!(model_error < vader_error - 0.04, "model {model_error:.3} vs VADER {vader_error:.3}");
    assert!(corrected_error <= 0.06, "corrected {corrected_error:.3}");
}

/// The committed opinion model on the sets it was not trained on (`examples/train_opinion.rs`
/// removes TweetEval's validation texts from its training data and prints the same figures).
#[test]
fn the_opinion_model_beats_vader_on_tweeteval_and_tracks_human_ratings() {
    use pulse_text::opinion::OpinionScratch;
    use pulse_text::{Masking, Opinion};
    let (vader, model, mut scratch) = (Vader::shared(), Opinion::shared(), OpinionScratch::default());
    let mut score = |text: &str| model.score(text, &vader.polarity_scores_masked(text, Masking::SOCIAL), &mut scratch);
    let (mut hit, mut total) = ([0usize; 3], [0usize; 3]);
    for (label, text) in &pulse_testsuite::eval::tweeteval() {
        let c = score(text).compound;
        let predicted = if c >= 0.05 {
            2
        } else if c <= -0.05 {
            0
        } else {
            1
        };
        total[*label as usize] += 1;
        hit[*label as usize] += usize::from(predicted == *label);
    }
    let macro_recall = (0..3).map(|k| hit[k] as f64 / total[k] as f64).sum::<f64>() / 3.0;
    let tweets = pulse_testsuite::eval::vader_tweets();
    let human: Vec<f64> = tweets.iter().map(|t| t.0).collect();
    let compound: Vec<f64> = tweets.iter().map(|t| score(&t.1).compound).collect();
    let r = pearson(&compound, &human);
    println!("opinion model: TweetEval macro recall {macro_recall:.4} (VADER 0.598), Pearson r {r:.3} (VADER 0.872)");
    assert!((macro_recall - 0.6729).abs() < 0.0005, "{macro_recall}");
    assert!((r - 0.844).abs() < 0.001, "{r}");
}
