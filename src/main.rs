//! The `ackreg` command line: parses arguments, dispatches to one small
//! module per subcommand, prints errors with a hint, and sets the exit code
//! (0 valid, 1 verification failed, 2 usage or input error).
#![forbid(unsafe_code)]

mod cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cmd::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            err.print();
            ExitCode::from(err.code)
        }
    }
}
