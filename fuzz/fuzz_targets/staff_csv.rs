//! The staff file (HR import): any bytes are read without a panic; a file
//! that reads is planned against an empty log and against the log the
//! plan produces, and importing it again adds nothing.
#![no_main]

use std::collections::BTreeSet;

use ackreg_core::staff;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = staff::parse(data) else {
        return;
    };
    let units: BTreeSet<String> = rows.iter().flat_map(|r| r.units.clone()).collect();
    let today = time::Date::from_calendar_date(2026, time::Month::December, 6).unwrap();
    let plan = staff::plan(&rows, &[], &units, today).unwrap();
    let _ = plan.to_string();
    let _ = serde_json::to_string(&plan).unwrap();
    let after = plan.after(&[]);
    assert!(staff::plan(&rows, &after, &units, today).unwrap().is_empty());
    // Half of the staff known already, under other names and units.
    let half: Vec<staff::Current> = after
        .iter()
        .step_by(2)
        .map(|c| staff::Current {
            name: format!("{} X", c.name),
            units: Vec::new(),
            ..c.clone()
        })
        .collect();
    let plan = staff::plan(&rows, &half, &units, today).unwrap();
    let after = plan.after(&half);
    assert!(staff::plan(&rows, &after, &units, today).unwrap().is_empty());
});
