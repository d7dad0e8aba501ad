//! Subcommands of the `ackreg` binary, one module each, dispatched here.
//! A command module never imports another: what two of them share (the
//! error shown to people, printing, locks, the reports of an audit) lives
//! in [`common`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod common;

mod demo;
mod export;
mod keygen;
mod keyring;
mod log;
mod register;
mod render;
mod serve;
mod sign;
mod verify;

/// Render official rules as a reproducible PDF and keep a verifiable register
/// of signed acknowledgements.
///
/// The administration renders the rules and seals the register, employees
/// sign that they have read them, auditors verify everything offline.
///
/// Exit codes: 0 success or valid, 1 verification failed, 2 usage or input error.
#[derive(Debug, Parser)]
#[command(name = "ackreg", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Demo(demo::Args),
    Render(render::Args),
    Keygen(keygen::Args),
    Keyring(keyring::Args),
    Sign(sign::Args),
    Register(register::Args),
    Verify(verify::Args),
    Log(log::Args),
    Export(export::Args),
    Serve(serve::Args),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode, common::CliError> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Render(args) => render::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Keyring(args) => keyring::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Register(args) => register::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Log(args) => log::run(args),
        Command::Export(args) => export::run(args),
        Command::Serve(args) => serve::run(args),
    }
}
