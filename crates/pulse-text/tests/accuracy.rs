//! Accuracy of VADER on labelled tweets: the paper's human ratings and TweetEval.

use pulse_text::Vader;

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

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
