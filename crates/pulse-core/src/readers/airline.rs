//! Twitter US Airline Sentiment (the CrowdFlower release, `Airline-Sentiment-2-w-AA.csv`).
//!
//! `tweet_id` is mangled in that file (`5.70E+17`), so `_unit_id` is the id. `tweet_created`
//! (`2/24/2015 11:35`, minute resolution) is local time in the tweet's `user_timezone`, which holds
//! Rails time-zone names (`Eastern Time (US & Canada)`, `Quito`) or IANA names (`America/Chicago`).
//! A missing or unknown zone is read as [`DEFAULT_ZONE`], US Eastern: the most common zone in the
//! file, and where most of the airlines are based.

use std::str::FromStr;

use chrono::{NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use csv::ByteRecord;

use super::decode_text;
use crate::post::is_old_style_retweet;
use crate::{Post, PostKind};

/// Zone assumed for rows whose `user_timezone` is missing or unknown.
pub const DEFAULT_ZONE: Tz = Tz::America__New_York;

/// Positions of the columns the reader needs, found by name in the header row.
pub(crate) struct Columns {
    unit_id: usize,
    sentiment: usize,
    airline: usize,
    negative_reason: Option<usize>,
    name: usize,
    text: usize,
    created: usize,
    timezone: Option<usize>,
}

impl Columns {
    pub(crate) fn from_header(header: &ByteRecord) -> Result<Self, String> {
        let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name.as_bytes()));
        let need = |name: &str| find(name).ok_or_else(|| format!("header has no `{name}` column"));
        Ok(Self {
            unit_id: need("_unit_id")?,
            sentiment: need("airline_sentiment")?,
            airline: need("airline")?,
            negative_reason: find("negativereason"),
            name: need("name")?,
            text: need("text")?,
            created: need("tweet_created")?,
            timezone: find("user_timezone"),
        })
    }

    pub(crate) fn decode(&self, record: &ByteRecord) -> Result<Post, String> {
        let field = |index: usize| record.get(index).map(decode_text);
        let required = |index: usize, name: &str| {
            field(index).filter(|v| !v.trim().is_empty()).ok_or_else(|| format!("`{name}` is missing"))
        };
        let id = required(self.unit_id, "_unit_id")?;
        if !id.trim().bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("_unit_id {id:?} is not a number"));
        }
        let created = required(self.created, "tweet_created")?;
        let zone_name = self.timezone.and_then(field).unwrap_or_default();
        let created_at = local_time_to_utc(created.trim(), zone_name.trim())?;
        let text = field(self.text).unwrap_or_default().into_owned();
        let author = required(self.name, "name")?.trim().to_string();
        let mut post = Post::new(id.trim(), created_at, author, text, "airline-sentiment");
        if is_old_style_retweet(&post.text) {
            post.kind = PostKind::Repost;
        }
        post.lang = Some("en".into());
        let labels = [
            ("sentiment", Some(self.sentiment)),
            ("airline", Some(self.airline)),
            ("negative_reason", self.negative_reason),
        ];
        for (label, index) in labels {
            if let Some(value) = index.and_then(field).filter(|v| !v.trim().is_empty()) {
                post.labels.insert(label.into(), value.trim().to_string());
            }
        }
        Ok(post)
    }
}

/// `2/24/2015 11:35` in the named zone, as UTC.
fn local_time_to_utc(created: &str, zone_name: &str) -> Result<chrono::DateTime<Utc>, String> {
    let local = NaiveDateTime::parse_from_str(created, "%m/%d/%Y %H:%M")
        .map_err(|e| format!("tweet_created {created:?} is not M/D/YYYY H:MM: {e}"))?;
    let zone = zone_from_name(zone_name).unwrap_or(DEFAULT_ZONE);
    // In the hour skipped by a DST change, the local time does not exist: read it an hour later.
    let at = zone
        .from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest())
        .ok_or_else(|| format!("tweet_created {created:?} does not exist in {zone}"))?;
    Ok(at.with_timezone(&Utc))
}

/// A Rails time-zone name (as Twitter reported `user_timezone`) or an IANA name, as a zone.
pub(crate) fn zone_from_name(name: &str) -> Option<Tz> {
    if name.is_empty() {
        return None;
    }
    let iana = RAILS_ZONES.iter().find(|(rails, _)| *rails == name).map_or(name, |(_, iana)| iana);
    Tz::from_str(iana).ok()
}

/// Rails' `ActiveSupport::TimeZone` names and the IANA zones they stand for.
const RAILS_ZONES: &[(&str, &str)] = &[
    ("International Date Line West", "Etc/GMT+12"),
    ("Midway Island", "Pacific/Midway"),
    ("American Samoa", "Pacific/Pago_Pago"),
    ("Hawaii", "Pacific/Honolulu"),
    ("Alaska", "America/Juneau"),
    ("Pacific Time (US & Canada)", "America/Los_Angeles"),
    ("Tijuana", "America/Tijuana"),
    ("Mountain Time (US & Canada)", "America/Denver"),
    ("Arizona", "America/Phoenix"),
    ("Chihuahua", "America/Chihuahua"),
    ("Mazatlan", "America/Mazatlan"),
    ("Central Time (US & Canada)", "America/Chicago"),
    ("Saskatchewan", "America/Regina"),
    ("Guadalajara", "America/Mexico_City"),
    ("Mexico City", "America/Mexico_City"),
    ("Monterrey", "America/Monterrey"),
    ("Central America", "America/Guatemala"),
    ("Eastern Time (US & Canada)", "America/New_York"),
    ("Indiana (East)", "America/Indiana/Indianapolis"),
    ("Bogota", "America/Bogota"),
    ("Lima", "America/Lima"),
    ("Quito", "America/Lima"),
    ("Atlantic Time (Canada)", "America/Halifax"),
    ("Caracas", "America/Caracas"),
    ("La Paz", "America/La_Paz"),
    ("Santiago", "America/Santiago"),
    ("Newfoundland", "America/St_Johns"),
    ("Brasilia", "America/Sao_Paulo"),
    ("Buenos Aires", "America/Argentina/Buenos_Aires"),
    ("Montevideo", "America/Montevideo"),
    ("Georgetown", "America/Guyana"),
    ("Puerto Rico", "America/Puerto_Rico"),
    ("Greenland", "America/Godthab"),
    ("Mid-Atlantic", "Atlantic/South_Georgia"),
    ("Azores", "Atlantic/Azores"),
    ("Cape Verde Is.", "Atlantic/Cape_Verde"),
    ("Dublin", "Europe/Dublin"),
    ("Edinburgh", "Europe/London"),
    ("Lisbon", "Europe/Lisbon"),
    ("London", "Europe/London"),
    ("Casablanca", "Africa/Casablanca"),
    ("Monrovia", "Africa/Monrovia"),
    ("UTC", "Etc/UTC"),
    ("Belgrade", "Europe/Belgrade"),
    ("Bratislava", "Europe/Bratislava"),
    ("Budapest", "Europe/Budapest"),
    ("Ljubljana", "Europe/Ljubljana"),
    ("Prague", "Europe/Prague"),
    ("Sarajevo", "Europe/Sarajevo"),
    ("Skopje", "Europe/Skopje"),
    ("Warsaw", "Europe/Warsaw"),
    ("Zagreb", "Europe/Zagreb"),
    ("Brussels", "Europe/Brussels"),
    ("Copenhagen", "Europe/Copenhagen"),
    ("Madrid", "Europe/Madrid"),
    ("Paris", "Europe/Paris"),
    ("Amsterdam", "Europe/Amsterdam"),
    ("Berlin", "Europe/Berlin"),
    ("Bern", "Europe/Zurich"),
    ("Zurich", "Europe/Zurich"),
    ("Rome", "Europe/Rome"),
    ("Stockholm", "Europe/Stockholm"),
    ("Vienna", "Europe/Vienna"),
    ("West Central Africa", "Africa/Algiers"),
    ("Bucharest", "Europe/Bucharest"),
    ("Cairo", "Africa/Cairo"),
    ("Helsinki", "Europe/Helsinki"),
    ("Kyiv", "Europe/Kiev"),
    ("Riga", "Europe/Riga"),
    ("Sofia", "Europe/Sofia"),
    ("Tallinn", "Europe/Tallinn"),
    ("Vilnius", "Europe/Vilnius"),
    ("Athens", "Europe/Athens"),
    ("Istanbul", "Europe/Istanbul"),
    ("Minsk", "Europe/Minsk"),
    ("Jerusalem", "Asia/Jerusalem"),
    ("Harare", "Africa/Harare"),
    ("Pretoria", "Africa/Johannesburg"),
    ("Kaliningrad", "Europe/Kaliningrad"),
    ("Moscow", "Europe/Moscow"),
    ("St. Petersburg", "Europe/Moscow"),
    ("Volgograd", "Europe/Volgograd"),
    ("Samara", "Europe/Samara"),
    ("Kuwait", "Asia/Kuwait"),
    ("Riyadh", "Asia/Riyadh"),
    ("Nairobi", "Africa/Nairobi"),
    ("Baghdad", "Asia/Baghdad"),
    ("Tehran", "Asia/Tehran"),
    ("Abu Dhabi", "Asia/Muscat"),
    ("Muscat", "Asia/Muscat"),
    ("Baku", "Asia/Baku"),
    ("Tbilisi", "Asia/Tbilisi"),
    ("Yerevan", "Asia/Yerevan"),
    ("Kabul", "Asia/Kabul"),
    ("Ekaterinburg", "Asia/Yekaterinburg"),
    ("Islamabad", "Asia/Karachi"),
    ("Karachi", "Asia/Karachi"),
    ("Tashkent", "Asia/Tashkent"),
    ("Chennai", "Asia/Kolkata"),
    ("Kolkata", "Asia/Kolkata"),
    ("Mumbai", "Asia/Kolkata"),
    ("New Delhi", "Asia/Kolkata"),
    ("Kathmandu", "Asia/Kathmandu"),
    ("Astana", "Asia/Dhaka"),
    ("Dhaka", "Asia/Dhaka"),
    ("Sri Jayawardenepura", "Asia/Colombo"),
    ("Almaty", "Asia/Almaty"),
    ("Novosibirsk", "Asia/Novosibirsk"),
    ("Rangoon", "Asia/Rangoon"),
    ("Bangkok", "Asia/Bangkok"),
    ("Hanoi", "Asia/Bangkok"),
    ("Jakarta", "Asia/Jakarta"),
    ("Krasnoyarsk", "Asia/Krasnoyarsk"),
    ("Beijing", "Asia/Shanghai"),
    ("Chongqing", "Asia/Chongqing"),
    ("Hong Kong", "Asia/Hong_Kong"),
    ("Urumqi", "Asia/Urumqi"),
    ("Kuala Lumpur", "Asia/Kuala_Lumpur"),
    ("Singapore", "Asia/Singapore"),
    ("Taipei", "Asia/Taipei"),
    ("Perth", "Australia/Perth"),
    ("Irkutsk", "Asia/Irkutsk"),
    ("Ulaanbaatar", "Asia/Ulaanbaatar"),
    ("Seoul", "Asia/Seoul"),
    ("Osaka", "Asia/Tokyo"),
    ("Sapporo", "Asia/Tokyo"),
    ("Tokyo", "Asia/Tokyo"),
    ("Yakutsk", "Asia/Yakutsk"),
    ("Darwin", "Australia/Darwin"),
    ("Adelaide", "Australia/Adelaide"),
    ("Canberra", "Australia/Melbourne"),
    ("Melbourne", "Australia/Melbourne"),
    ("Sydney", "Australia/Sydney"),
    ("Brisbane", "Australia/Brisbane"),
    ("Hobart", "Australia/Hobart"),
    ("Vladivostok", "Asia/Vladivostok"),
    ("Guam", "Pacific/Guam"),
    ("Port Moresby", "Pacific/Port_Moresby"),
    ("Magadan", "Asia/Magadan"),
    ("Srednekolymsk", "Asia/Srednekolymsk"),
    ("Solomon Is.", "Pacific/Guadalcanal"),
    ("New Caledonia", "Pacific/Noumea"),
    ("Fiji", "Pacific/Fiji"),
    ("Kamchatka", "Asia/Kamchatka"),
    ("Marshall Is.", "Pacific/Majuro"),
    ("Auckland", "Pacific/Auckland"),
    ("Wellington", "Pacific/Auckland"),
    ("Nuku'alofa", "Pacific/Tongatapu"),
    ("Tokelau Is.", "Pacific/Fakaofo"),
    ("Chatham Is.", "Pacific/Chatham"),
    ("Samoa", "Pacific/Apia"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rails_zone_resolves() {
        for (rails, iana) in RAILS_ZONES {
            assert!(zone_from_name(rails).is_some(), "{rails} -> {iana}");
        }
        assert_eq!(zone_from_name("America/Chicago"), Some(Tz::America__Chicago));
        assert_eq!(zone_from_name("Nowhere"), None);
    }

    #[test]
    fn local_times_convert_to_utc() {
        let eastern = local_time_to_utc("2/24/2015 11:35", "Eastern Time (US & Canada)").unwrap();
        assert_eq!(eastern.to_rfc3339(), "2015-02-24T16:35:00+00:00");
        let quito = local_time_to_utc("2/24/2015 11:35", "Quito").unwrap();
        assert_eq!(quito.to_rfc3339(), "2015-02-24T16:35:00+00:00");
        let pacific = local_time_to_utc("2/24/2015 11:35", "Pacific Time (US & Canada)").unwrap();
        assert_eq!(pacific.to_rfc3339(), "2015-02-24T19:35:00+00:00");
        let missing = local_time_to_utc("2/24/2015 11:35", "").unwrap();
        assert_eq!(missing, eastern);
        assert!(local_time_to_utc("2015-02-24", "").unwrap_err().contains("M/D/YYYY"));
    }
}
