//! The `migraph` command: `migraph --help`.

fn main() -> std::process::ExitCode {
    migraph::cli::main()
}
