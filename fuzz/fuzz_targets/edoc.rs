//! The eDoc (ASiC-E) container reader: ZIP structure, manifest, XAdES
//! signature listing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(container) = ackreg::edoc::read(data) {
        // Files that were read, when their names are ones ackreg writes, are
        // written again into a container that reads back the same files.
        if let Ok(bytes) = ackreg::edoc::write(&container.files) {
            let again = ackreg::edoc::read(&bytes).unwrap();
            assert_eq!(again.files, container.files);
            assert!(again.signatures.is_empty());
        }
    }
});
