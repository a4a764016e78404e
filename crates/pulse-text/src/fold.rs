//! Case folding: the one normal form words are compared in (tokens, stopwords, topic keys).

use caseless::Caseless;

/// Case folds `s` into `out`: ASCII lower-casing on the fast path, Unicode default case folding
/// otherwise; `’` becomes `'`.
pub fn fold_into(s: &str, out: &mut String) {
    if s.is_ascii() {
        let start = out.len();
        out.push_str(s);
        out[start..].make_ascii_lowercase();
    } else {
        for c in s.chars() {
            if c == '\u{2019}' {
                out.push('\'');
            } else if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(std::iter::once(c).default_case_fold());
            }
        }
    }
}
