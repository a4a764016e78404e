//! The Rust `Post` serializes to exactly what `schemas/post.schema.json` describes.

use std::path::Path;

use pulse_core::{PostReader, Record};

fn validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/post.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).unwrap()
}

#[test]
fn real_posts_of_every_reader_validate_against_the_schema() {
    let validator = validator();
    let data = pulse_testsuite::data_dir();
    let inputs = [
        data.join("crisislex-t6/2013_Boston_Bombings-ontopic_offtopic.csv"),
        data.join("crisislex-t26/2013_West_Texas_explosion-tweets_labeled.csv"),
        data.join("airline-sentiment/Airline-Sentiment-2-w-AA.csv"),
        pulse_testsuite::eval_dir().join("sentiment140-test.csv"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jetstream-sample.jsonl"),
    ];
    for path in inputs {
        let mut checked = 0;
        for record in PostReader::open(&path, None).unwrap() {
            let Ok(Record::Post(post)) = record else { continue };
            let json: serde_json::Value = serde_json::from_str(&post.to_json()).unwrap();
            if let Err(error) = validator.validate(&json) {
                panic!("{}: post {} does not match the schema: {error}\n{json}", path.display(), post.id);
            }
            checked += 1;
        }
        assert!(checked > 0, "{}", path.display());
    }
}

#[test]
fn the_schema_rejects_what_the_type_rejects() {
    let validator = validator();
    let valid = serde_json::json!({"id": "1", "created_at": "2013-04-15T18:49:00Z", "author": "a", "text": "t", "source": "s", "kind": "post"});
    assert!(validator.is_valid(&valid));
    for (field, value) in [("kind", "retweet"), ("created_at", "2013-04-15 18:49"), ("id", "")] {
        let mut invalid = valid.clone();
        invalid[field] = value.into();
        assert!(!validator.is_valid(&invalid), "{field} = {value} accepted");
        assert!(serde_json::from_value::<pulse_core::Post>(invalid).is_err() || field == "id");
    }
    let mut extra = valid.clone();
    extra["likes"] = 3.into();
    assert!(!validator.is_valid(&extra));
}
