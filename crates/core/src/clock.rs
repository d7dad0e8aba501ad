//! What day it is, for the dates ackreg writes by itself: the day an
//! acknowledgement was received, the first day of an enrolment or of a
//! departure when none is given, the desk's "today".
//!
//! A date in a log is a calendar day where the administration works, not a
//! day in UTC: in Latvia (UTC+2, UTC+3 in summer) an acknowledgement signed
//! at 01:30 on 5 December is dated 5 December, where UTC still says the
//! 4th. The day is read in the computer's time zone, as its clock shows it:
//! the `TZ` environment variable when set (for example
//! `TZ=Europe/Riga`), else the system's setting; the zone rules are `jiff`'s
//! copy of the IANA time zone database, built in, so that no system files
//! are needed. A computer whose zone cannot be told counts in UTC.

use time::{Date, Month};

/// Today, in the computer's time zone.
pub fn today() -> Date {
    civil(jiff::Zoned::now().date())
}

/// The day of the moment `unix` (seconds since 1970), in the computer's
/// time zone; `None` outside the years 1 to 9999.
pub fn day_of(unix: i64) -> Option<Date> {
    let at = jiff::Timestamp::from_second(unix).ok()?;
    Some(civil(at.to_zoned(jiff::tz::TimeZone::system()).date()))
}

/// The name of the computer's time zone, as the desk announces it
/// ("Europe/Riga"), or its offset when it has no name.
pub fn zone_name() -> String {
    let zone = jiff::tz::TimeZone::system();
    match zone.iana_name() {
        Some(name) => name.to_string(),
        None => zone.to_offset(jiff::Timestamp::now()).to_string(),
    }
}

/// The same day as a `time` date (the type of every date in ackreg).
fn civil(d: jiff::civil::Date) -> Date {
    // jiff's years (-9999 to 9999), months and days always make a `time`
    // date; the fallback is never taken.
    let month = Month::try_from(d.month() as u8).unwrap_or(Month::January);
    Date::from_calendar_date(i32::from(d.year()), month, d.day() as u8).unwrap_or(Date::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The zones furthest apart (UTC+14 and UTC-12) never share a day:
    /// the day is the zone's, not UTC's.
    #[test]
    fn the_day_is_the_zones() {
        let unix = 1_512_430_200; // 2017-12-05 01:30 in Riga, 2017-12-04 23:30 UTC
        let day = |zone: &str| {
            let tz = jiff::tz::TimeZone::get(zone).unwrap();
            let at = jiff::Timestamp::from_second(unix).unwrap();
            civil(at.to_zoned(tz).date())
        };
        let d = |s: &str| crate::ack::parse_date(s).unwrap();
        assert_eq!(day("Europe/Riga"), d("2017-12-05"));
        assert_eq!(day("UTC"), d("2017-12-04"));
        assert_eq!(day("Pacific/Kiritimati"), d("2017-12-05"));
        assert_eq!(day("Etc/GMT+12"), d("2017-12-04"));
        // Summer time: 2017-06-30 21:30 UTC is 1 July 00:30 in Riga.
        let summer = jiff::Timestamp::from_second(1_498_858_200).unwrap();
        let riga = jiff::tz::TimeZone::get("Europe/Riga").unwrap();
        assert_eq!(civil(summer.to_zoned(riga).date()), d("2017-07-01"));
    }

    #[test]
    fn every_day_converts() {
        let first = jiff::civil::date(1, 1, 1);
        let d = |s: &str| crate::ack::parse_date(s).unwrap();
        assert_eq!(civil(first), d("0001-01-01"));
        assert_eq!(civil(jiff::civil::date(9999, 12, 31)), d("9999-12-31"));
        assert_eq!(civil(jiff::civil::date(2024, 2, 29)), d("2024-02-29"));
    }
}
