//! Canonical JSONL: one [`Post`] per line, exactly as `schemas/post.schema.json` describes it.

use crate::Post;

/// Decodes one line; the reason names the field at fault.
pub(crate) fn decode(line: &[u8]) -> Result<Post, String> {
    let post: Post = serde_json::from_slice(line).map_err(|e| format!("not a canonical post: {e}"))?;
    if post.id.is_empty() {
        return Err("not a canonical post: `id` is empty".into());
    }
    Ok(post)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_post_and_names_what_is_wrong_otherwise() {
        let good = br#"{"id":"7","created_at":"2015-02-24T11:35:00Z","author":"a","text":"hi","source":"s","kind":"quote","repost_of":"3"}"#;
        let post = decode(good).unwrap();
        assert_eq!((post.id.as_str(), post.repost_of.as_deref()), ("7", Some("3")));
        let missing = br#"{"id":"7","author":"a","text":"hi","source":"s","kind":"post"}"#;
        assert!(decode(missing).unwrap_err().contains("created_at"));
        let empty_id =
            br#"{"id":"","created_at":"2015-02-24T11:35:00Z","author":"a","text":"hi","source":"s","kind":"post"}"#;
        assert!(decode(empty_id).unwrap_err().contains("`id` is empty"));
        assert!(decode(b"\x00\x01garbage").unwrap_err().starts_with("not a canonical post"));
    }
}
