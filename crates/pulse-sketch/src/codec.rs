//! Compact, versioned binary encoding of sketches and buckets.
//!
//! A blob is a 9-byte header followed by a [postcard](https://docs.rs/postcard) payload:
//!
//! | bytes | content |
//! |---|---|
//! | 0..3 | magic `PSK` |
//! | 3 | format version ([`FORMAT_VERSION`]) |
//! | 4 | kind ([`kind`]: which type the payload is) |
//! | 5..9 | checksum: low 32 bits of XXH3-64 of the payload, little-endian |
//! | 9.. | payload (postcard: varint integers, length-prefixed sequences) |
//!
//! Postcard is compact (a count-min cell holding 3 costs one byte) and well maintained, but it is
//! not self-describing, so the header carries what it cannot: what the payload is and which layout
//! it has. Checks run in order — length, magic, version, kind, checksum, decode, then semantic
//! validation of the decoded sketch (sizes consistent, values in range) — and each failure is its
//! own [`SketchError`] variant. Nothing in decoding panics or trusts a length it has not checked.
//!
//! Nested sketches (a [`crate::CountMin`] inside a bucket inside a [`crate::Window`]) are encoded
//! by serde inside the one outer blob; only the outer value gets a header.

use std::cell::RefCell;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Result, SketchError};
use crate::hash::hash_bytes;

/// Magic bytes that open every blob.
pub const MAGIC: [u8; 3] = *b"PSK";
/// The format version this build writes and reads. Bumped on any payload layout change,
/// including those of payload types defined in other crates (the trend bucket's, the engine checkpoint's).
pub const FORMAT_VERSION: u8 = 4;
/// Header length in bytes.
pub const HEADER_LEN: usize = 9;

/// Kind bytes of the types defined in this crate. Other crates pick kinds from
/// [`kind::USER_START`] up for their own [`Persist`] types (e.g. a trend bucket).
pub mod kind {
    /// [`crate::CountMin`].
    pub const COUNT_MIN: u8 = 1;
    /// [`crate::TopK`].
    pub const TOP_K: u8 = 2;
    /// [`crate::Hll`].
    pub const HLL: u8 = 3;
    /// [`crate::Window`].
    pub const WINDOW: u8 = 4;
    /// First kind available to types defined outside this crate.
    pub const USER_START: u8 = 64;
}

/// A value that can be written to and read from a framed blob (checkpoints, cross-machine
/// rollups). Implement it for a bucket struct by deriving serde and choosing a `KIND`.
pub trait Persist: Serialize + DeserializeOwned {
    /// The kind byte written into the header; decoding checks it.
    const KIND: u8;

    /// Encodes `self` as header + payload.
    fn to_bytes(&self) -> Result<Vec<u8>> {
        encode(Self::KIND, self)
    }

    /// Decodes a blob written by [`Persist::to_bytes`]; any malformed input is an error.
    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        decode(Self::KIND, bytes)
    }
}

/// Encodes `value` with a header of kind `kind`.
pub fn encode<T: Serialize + ?Sized>(kind: u8, value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.push(kind);
    out.extend_from_slice(&[0; 4]);
    let mut out = postcard::to_extend(value, out)?;
    let sum = checksum(&out[HEADER_LEN..]);
    out[5..HEADER_LEN].copy_from_slice(&sum.to_le_bytes());
    Ok(out)
}

/// Reads the kind byte of a blob after checking magic and version (to dispatch on it).
pub fn peek_kind(bytes: &[u8]) -> Result<u8> {
    check_header(bytes)?;
    Ok(bytes[4])
}

/// Decodes a blob of kind `kind` into `T`.
pub fn decode<T: DeserializeOwned>(kind: u8, bytes: &[u8]) -> Result<T> {
    check_header(bytes)?;
    if bytes[4] != kind {
        return Err(SketchError::WrongKind { expected: kind, found: bytes[4] });
    }
    let found = u32::from_le_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]);
    let payload = &bytes[HEADER_LEN..];
    let computed = checksum(payload);
    if found != computed {
        return Err(SketchError::ChecksumMismatch { found, computed });
    }
    take_invalid();
    match postcard::take_from_bytes::<T>(payload) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(SketchError::Invalid(format!("{} trailing bytes after the payload", rest.len()))),
        Err(postcard::Error::SerdeDeCustom) => {
            Err(SketchError::Invalid(take_invalid().unwrap_or_else(|| "rejected by a deserializer".to_owned())))
        }
        Err(postcard::Error::DeserializeUnexpectedEnd) => Err(SketchError::Truncated("payload ended early".to_owned())),
        Err(e) => Err(SketchError::Encoding(e)),
    }
}

fn check_header(bytes: &[u8]) -> Result<()> {
    if bytes.len() < HEADER_LEN {
        return Err(SketchError::Truncated(format!("{} bytes, the header alone is {HEADER_LEN}", bytes.len())));
    }
    if bytes[..3] != MAGIC {
        return Err(SketchError::BadMagic { found: bytes[..3].to_vec() });
    }
    if bytes[3] != FORMAT_VERSION {
        return Err(SketchError::UnsupportedVersion { found: bytes[3], supported: FORMAT_VERSION });
    }
    Ok(())
}

fn checksum(payload: &[u8]) -> u32 {
    hash_bytes(payload) as u32
}

thread_local! {
    /// Postcard reports custom deserializer errors without their message; validation failures
    /// park the message here so that [`decode`] can report it.
    static LAST_INVALID: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn take_invalid() -> Option<String> {
    LAST_INVALID.with(|m| m.borrow_mut().take())
}

/// Builds a serde error for a failed semantic check, keeping its message for [`decode`].
pub(crate) fn invalid<E: serde::de::Error>(msg: String) -> E {
    let err = E::custom(&msg);
    LAST_INVALID.with(|m| *m.borrow_mut() = Some(msg));
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_errors_are_distinct_and_clear() {
        let blob = encode(kind::USER_START, &(7u64, "seven")).unwrap();
        assert_eq!(&blob[..3], b"PSK");
        assert_eq!(peek_kind(&blob).unwrap(), kind::USER_START);
        let back: (u64, String) = decode(kind::USER_START, &blob).unwrap();
        assert_eq!(back, (7, "seven".to_owned()));

        assert!(matches!(decode::<(u64, String)>(kind::USER_START, &blob[..5]), Err(SketchError::Truncated(_))));
        let mut bad = blob.clone();
        bad[0] = b'X';
        assert!(matches!(decode::<(u64, String)>(kind::USER_START, &bad), Err(SketchError::BadMagic { .. })));
        let mut bad = blob.clone();
        bad[3] = FORMAT_VERSION - 1;
        let err = decode::<(u64, String)>(kind::USER_START, &bad).unwrap_err();
        assert!(
            matches!(err, SketchError::UnsupportedVersion { found, supported: FORMAT_VERSION } if found == FORMAT_VERSION - 1)
        );
        assert!(err.to_string().contains(&format!("version {}", FORMAT_VERSION - 1)), "{err}");
        assert!(matches!(
            decode::<(u64, String)>(kind::HLL, &blob),
            Err(SketchError::WrongKind { expected: 3, found: 64 })
        ));
        let mut bad = blob.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(matches!(decode::<(u64, String)>(kind::USER_START, &bad), Err(SketchError::ChecksumMismatch { .. })));
    }

    #[test]
    fn trailing_and_short_payloads_are_errors() {
        let blob = encode(kind::USER_START, &(1u8, 2u8)).unwrap();
        // Decoding as a shorter type leaves trailing bytes.
        assert!(matches!(decode::<u8>(kind::USER_START, &blob), Err(SketchError::Invalid(_))));
        // Decoding as a longer type runs out of bytes.
        assert!(matches!(decode::<(u8, u8, u8)>(kind::USER_START, &blob), Err(SketchError::Truncated(_))));
    }
}
