//! The received-date rules: how an acknowledgement's dates stand against
//! the day it reaches the log, by the computer's clock (the history's
//! rules in [`super::state`] never read a clock).
//!
//! There are two, deliberately, one per way an acknowledgement arrives:
//!
//! - handed in (`ackreg log add`): the administration says on which day it
//!   received the file or the paper, which may be any past day (they are
//!   often added in a batch later) but never a day still to come
//!   ([`check_handed_in`]);
//! - signed at the desk: the desk writes today as the received date, so
//!   what is judged is the date the employee signed, which must be today or
//!   yesterday, so that a page loaded before midnight still signs
//!   ([`check_signed_at_desk`]).
//!
//! In both, the history's rules then require the signing date to be no
//! later than the received one.

use time::Date;

use super::entry::format_date;

/// Why a date breaks a received-date rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateRuleError {
    /// A received date after today.
    #[error("{}: a date in the future", format_date(*.0))]
    Future(Date),
    /// An acknowledgement signed at the desk on a day other than today or
    /// yesterday.
    #[error("the acknowledgement is dated {}, not today", format_date(*.0))]
    NotToday(Date),
}

impl crate::Hint for DateRuleError {}

/// An acknowledgement handed in is received on `received`, a day not
/// after `today`.
pub fn check_handed_in(received: Date, today: Date) -> Result<(), DateRuleError> {
    if received > today {
        return Err(DateRuleError::Future(received));
    }
    Ok(())
}

/// An acknowledgement signed at the desk, received `today`, is dated
/// `signed`, today or yesterday.
pub fn check_signed_at_desk(signed: Date, today: Date) -> Result<(), DateRuleError> {
    let yesterday = today.previous_day().unwrap_or(today);
    if signed != today && signed != yesterday {
        return Err(DateRuleError::NotToday(signed));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::entry::parse_date;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    #[test]
    fn handed_in_any_past_day_but_not_a_future_one() {
        let today = d("2017-12-05");
        assert!(check_handed_in(d("2017-12-05"), today).is_ok());
        assert!(check_handed_in(d("2016-01-01"), today).is_ok());
        let future = check_handed_in(d("2017-12-06"), today).unwrap_err();
        assert_eq!(future.to_string(), "2017-12-06: a date in the future");
    }

    #[test]
    fn signed_at_the_desk_today_or_yesterday_only() {
        let today = d("2018-01-01");
        assert!(check_signed_at_desk(d("2018-01-01"), today).is_ok());
        assert!(check_signed_at_desk(d("2017-12-31"), today).is_ok());
        for other in ["2017-12-30", "2018-01-02"] {
            let e = check_signed_at_desk(d(other), today).unwrap_err();
            assert_eq!(e, DateRuleError::NotToday(d(other)));
        }
    }
}
