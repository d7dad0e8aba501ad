//! The eDoc (ASiC-E) container reader: ZIP structure, manifest, XAdES
//! signature listing, and the check of the seals' references.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(container) = ackreg_core::edoc::read(data) {
        // Every seal's references are checked against the files without a
        // panic, and every failing reference names its file.
        let seals = ackreg_core::edoc::seals::check(&container);
        let (_, problems) = ackreg_core::edoc::seals::step(&seals);
        let failing: usize = seals.iter().map(|s| s.fails().len()).sum();
        assert_eq!(problems.len(), failing);
        // Files that were read, when their names are ones ackreg writes, are
        // written again into a container that reads back the same files.
        if let Ok(bytes) = ackreg_core::edoc::write(&container.files) {
            let again = ackreg_core::edoc::read(&bytes).unwrap();
            assert_eq!(again.files, container.files);
            assert!(again.signatures.is_empty());
        }
    }
});
