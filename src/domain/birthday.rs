//! Whether a store-local date is a member's birthday (R-DSC-3: 29 Feb → 28 Feb in common years).

use chrono::{Datelike, NaiveDate};

/// The member's birthday as it falls in `year`.
pub fn birthday_in_year(birth_date: NaiveDate, year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, birth_date.month(), birth_date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 2, 28))
        .unwrap_or(birth_date)
}

/// R-DSC-3: true when `today` is the member's birthday.
pub fn is_birthday(birth_date: NaiveDate, today: NaiveDate) -> bool {
    birthday_in_year(birth_date, today.year()) == today
}

/// Age in whole years on `today` (R-ENR-1). Someone born on 29 Feb completes a year on 1 Mar
/// in common years (the usual legal reading).
pub fn age_on(birth_date: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - birth_date.year();
    if (today.month(), today.day()) < (birth_date.month(), birth_date.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn r_dsc_3_leap_day_birthday_is_28_feb_in_common_years() {
        assert!(is_birthday(d(2000, 2, 29), d(2025, 2, 28)));
        assert!(!is_birthday(d(2000, 2, 29), d(2024, 2, 28)));
        assert!(is_birthday(d(2000, 2, 29), d(2024, 2, 29)));
    }

    #[test]
    fn r_enr_1_age_counts_whole_years() {
        assert_eq!(age_on(d(2008, 11, 24), d(2026, 11, 23)), 17);
        assert_eq!(age_on(d(2008, 11, 23), d(2026, 11, 23)), 18);
    }
}
